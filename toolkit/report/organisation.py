"""The analyst's organisation report: the quarter's answer, and a heatmap of units by constructs,
from the analyst's rows.

At the top, the adjusted weekly-vs-monthly difference in depth (and in the other constructs) with
its 95% interval, as the release publishes it, and a link to the study summary (``summary.html``)
when it sits beside the report. Every unit of the units table is a row (organisation, then each
division, its departments and their teams, depth first), every construct a column; a cell prints
the mean as the release shows it and is coloured by it (direction taken into account, so darker
blue is always better). The legend gives the means where each colour band starts. A cell with no
release row prints "suppressed" on a hatched background: text and pattern, not colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.privacy.disclosure import load_policy
from toolkit.report._common import (
    BAND_TEXT,
    BANDS,
    band,
    better_text,
    contrast_sentence,
    environment,
    fmt_mean,
    higher_is_better,
    scale_range,
)
from toolkit.report.manager import _values
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["organisation_report", "write_organisation_report"]


def organisation_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    wave: str,
    policy: Mapping | str | Path | None = None,
    summary: str | None = None,
) -> str:
    """The heatmap of every unit by construct for ``wave``, from the ``analyst`` rows only.

    Parameters
    ----------
    release : DataFrame
        The output of :func:`toolkit.release`.
    survey : Survey
        Construct labels and scales.
    units : DataFrame
        ``unit``, ``parent``, ``kind``: the row order (division, department, team).
    wave : str
        The wave shown.
    policy : mapping, str or Path, optional
        The release's policy (decimals of the printed means).
    summary : str, optional
        A relative link to the study summary (``summary.html``), shown under the quarter's answer.

    Returns
    -------
    str
        A complete HTML document.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> rel = toolkit.release(valid, survey, units, audiences=["analyst"])
    >>> "suppressed" in organisation_report(rel, survey, units, wave="2026Q1")
    True
    """
    pol = load_policy(policy)
    tree = Units(units)
    rows = release[release["audience"] == "analyst"]  # the analyst's rows only
    data = {
        (u, m): v
        for u, m, c, w, v in zip(
            _values(rows["unit"]),
            _values(rows["measure"]),
            _values(rows["cut"]),
            _values(rows["wave"]),
            rows["value"].tolist(),
            strict=True,
        )
        if c == "all" and w == wave
    }
    constructs = list(survey.constructs)
    ranges = {c: scale_range(survey, c) for c in constructs}
    body = []
    for unit in tree.order():
        kind = tree.kind[unit]
        depth = len(tree.chain(unit)) - 1
        resp = data.get((unit, "responses"))
        cells = []
        for c in constructs:
            v = data.get((unit, f"{c}:mean"))
            if v is None:
                cells.append({"text": "suppressed", "cls": "suppressed", "title": "suppressed"})
                continue
            lo, hi = ranges[c]
            b = band(v, lo, hi, higher_is_better(survey, c))
            cells.append({"text": fmt_mean(v, pol["mean_decimals"]), "cls": f"h{b}", "title": BAND_TEXT[b]})
        body.append(
            {
                "unit": tree.label.get(unit, unit),
                "kind": kind,
                "depth": depth,
                "responses": None if resp is None else str(int(resp)),
                "cells": cells,
            }
        )
    return (
        environment()
        .get_template("organisation.html.j2")
        .render(
            wave=wave,
            title=survey.title,
            constructs=[
                {"label": survey.constructs[c].label, "better": better_text(survey, c)} for c in constructs
            ],
            rows=body,
            bins=_legend(survey, constructs, ranges, pol["mean_decimals"]),
            answer=_answer(data, survey, tree.root, pol["mean_decimals"]),
            summary=summary,
        )
    )


def _answer(data: dict, survey: Survey, root: str, decimals: int) -> dict | None:
    """The quarter's answer from the release: the adjusted weekly-vs-monthly difference on depth
    (the headline) and on every other construct where it is published."""
    lines = []
    for c in survey.constructs:
        hits = [data.get((root, f"{c}:weekly_vs_monthly{s}")) for s in ("", "_low", "_high")]
        if all(h is not None for h in hits):
            lines.append((c, contrast_sentence(survey.constructs[c].label, *hits, decimals)))
    if not lines:
        return None
    head = next((text for c, text in lines if c == "depth"), None)
    return {"headline": head, "others": [text for c, text in lines if c != "depth"]}


def _legend(survey: Survey, constructs: list[str], ranges: dict, decimals: int) -> list[dict]:
    """The colour bands with the means where each starts, for higher- and for lower-is-better
    constructs (per scale range, when the constructs' scales differ)."""
    out = []
    spans = sorted({ranges[c] for c in constructs})
    step = 10.0**-decimals
    for b, text in enumerate(BAND_TEXT):
        parts = []
        for lo, hi in spans:
            cut = [lo + x * (hi - lo) for x in BANDS]
            up_lo = lo if b == 0 else cut[b - 1]
            up_hi = hi if b == len(BANDS) else cut[b] - step
            # lower is better: the band of "good" g starts where the mean is at most hi - g * (hi - lo)
            down_hi = hi if b == 0 else lo + hi - cut[b - 1]
            down_lo = lo if b == len(BANDS) else lo + hi - cut[b] + step
            span = "" if len(spans) == 1 else f" on the {lo:g} to {hi:g} scale"
            higher = f"{fmt_mean(up_lo, decimals)} to {fmt_mean(up_hi, decimals)}"
            lower = f"{fmt_mean(down_lo, decimals)} to {fmt_mean(down_hi, decimals)}"
            kinds = {higher_is_better(survey, c) for c in constructs if ranges[c] == (lo, hi)}
            if kinds == {True}:
                parts.append(f"{higher}{span}")
            elif kinds == {False}:
                parts.append(f"{lower}{span} (lower is better)")
            else:
                parts.append(f"{higher}{span}; {lower} where lower is better")
        out.append({"index": b, "text": text, "bounds": "; ".join(parts)})
    return out


def write_organisation_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    wave: str,
    out_dir: str | Path,
    policy: Mapping | str | Path | None = None,
) -> Path:
    """Write :func:`organisation_report` to ``out_dir/organisation.html`` atomically; return the path.

    Links the study summary when ``summary.html`` is already in ``out_dir`` (``oneonone run`` and
    ``oneonone summarise`` write it there)."""
    summary = "summary.html" if (Path(out_dir) / "summary.html").is_file() else None
    html = organisation_report(release, survey, units, wave=wave, policy=policy, summary=summary)
    return atomic_write_text(Path(out_dir) / "organisation.html", html)
