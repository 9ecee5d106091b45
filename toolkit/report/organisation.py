"""The analyst's organisation report: a heatmap of units by constructs, from the analyst's rows.

Every unit of the units table is a row (organisation, then each division, its departments and
their teams, depth first), every construct a column; a cell prints the mean as the release shows
it and is coloured by it (direction taken into account, so darker blue is always better). A cell
with no release row prints "suppressed" on a hatched background: text and pattern, not colour
alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.privacy.disclosure import load_policy
from toolkit.report._common import environment, fmt_mean
from toolkit.report.manager import DIRECTION, _scale_range, _values
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["organisation_report", "write_organisation_report"]

#: Bins of the direction-adjusted mean (as a share of the scale from its lowest to its highest
#: point) and their cell classes: ``h0`` worst to ``h4`` best.
_BINS = (0.375, 0.5, 0.625, 0.75)
_BIN_TEXT = ("weakest", "weak", "middle", "strong", "strongest")


def organisation_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    wave: str,
    policy: Mapping | str | Path | None = None,
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
    ranges = {c: _scale_range(survey, c) for c in constructs}
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
            good = (v - lo) / (hi - lo) if DIRECTION.get(c, 1) > 0 else (hi - v) / (hi - lo)
            b = sum(good >= x for x in _BINS)
            cells.append({"text": fmt_mean(v, pol["mean_decimals"]), "cls": f"h{b}", "title": _BIN_TEXT[b]})
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
                {
                    "label": survey.constructs[c].label,
                    "better": "lower is better" if DIRECTION.get(c, 1) < 0 else "higher is better",
                }
                for c in constructs
            ],
            rows=body,
            bins=list(enumerate(_BIN_TEXT)),
        )
    )


def write_organisation_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    wave: str,
    out_dir: str | Path,
    policy: Mapping | str | Path | None = None,
) -> Path:
    """Write :func:`organisation_report` to ``out_dir/organisation.html`` atomically; return the path."""
    html = organisation_report(release, survey, units, wave=wave, policy=policy)
    return atomic_write_text(Path(out_dir) / "organisation.html", html)
