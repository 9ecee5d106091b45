"""The leader's unit report: a unit and every unit below it, rendered only from the release.

Privacy rests on the same rule as the manager report: the report reads nothing but the release
rows of its audience, ``leader:<unit>``, which hold the unit and the units below it (after
disclosure control) and nothing above it: a leader does not see the organisation's numbers, so
the report compares the unit with its own sub-units, never with the organisation.
:func:`unit_report` takes those rows first and passes only them on, and the renderer refuses rows
of any other audience. The units table gives only the shape (parents, kinds, labels), the survey
only wording. Comments come from the comment release, the rows of the same audience and wave.

What it shows: participation of the unit and each unit below it; the unit's construct means,
favourable shares and changes since the wave before; a heatmap of the unit and its sub-units by
construct, in the order of the tree (as the organisation report does for the analyst); how the
unit answered each question and its 1:1 rhythm, where those distributions are published; and the
comments published at the unit or below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit.privacy.disclosure import load_policy
from toolkit.report._common import (
    BAND_TEXT,
    band,
    better_text,
    environment,
    fmt_change,
    fmt_mean,
    fmt_pct,
    higher_is_better,
    scale_range,
    wave_before,
)
from toolkit.report.manager import _comment_rows, _values
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["unit_report"]


def unit_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    unit: str,
    wave: str,
    policy: Mapping | str | Path | None = None,
    comments: pd.DataFrame | None = None,
) -> str:
    """The HTML report of one unit's leader, from the release rows of ``leader:<unit>`` only.

    Parameters
    ----------
    release : DataFrame
        The output of :func:`toolkit.release` (every audience or only this one).
    survey : Survey
        Wording only: construct labels, item texts, answer labels, scales.
    units : DataFrame
        ``unit``, ``parent``, ``kind`` (and optional ``label``): the unit's sub-units and their order.
    unit : str
        A unit that is not a team (a division, a department, or the organisation).
    wave : str
        The wave reported, like ``"2026Q2"``.
    policy : mapping, str or Path, optional
        The policy the release was made with (decimals of the numbers, thresholds named in the text).
    comments : DataFrame, optional
        The comment release (:func:`toolkit.release_comments`); only the rows of ``leader:<unit>``
        and ``wave`` are read. Without it the report says that comments are not part of it.

    Returns
    -------
    str
        A complete HTML document: inline CSS, no scripts, no external assets.

    Raises
    ------
    ValueError
        When ``unit`` is not a unit of ``units`` or is a team, or ``wave`` is not a wave of the release.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> rel = toolkit.release(valid, survey, units, audiences=["leader:div02"])
    >>> html = unit_report(rel, survey, units, unit="div02", wave="2026Q1")
    >>> html.startswith("<!DOCTYPE html>") and 'id="heatmap"' in html
    True
    """
    tree = Units(units)
    kind = tree.kind.get(unit)
    if kind is None or kind == "team":
        raise ValueError(
            "unit must be a unit of units that is not a team (a team's manager has the manager report); "
            f"got {unit!r}" + ("" if kind is None else " (a team)")
        )
    audience = f"leader:{unit}"
    rows = release[release["audience"] == audience]  # the only rows the report may read
    prev = wave_before(release, wave)
    said = None if comments is None else _comment_rows(comments, audience, wave)
    return _View(
        rows, survey, tree, unit=unit, wave=wave, prev=prev, pol=load_policy(policy), comments=said
    ).html()


# --------------------------------------------------------------------------- internals


class _View:
    """What one unit report shows, computed from its audience's rows alone."""

    def __init__(self, rows, survey: Survey, tree: Units, *, unit, wave, prev, pol, comments=None):
        audience = f"leader:{unit}"
        present = set(_values(rows["audience"].drop_duplicates()))
        if present - {audience}:  # the privacy choke point: never render another audience's rows
            raise ValueError(f"unit report of {audience} was given rows of {sorted(present - {audience})}")
        self.data = {
            (u, m): (float(v), int(n))
            for u, c, m, w, v, n in zip(
                _values(rows["unit"]),
                _values(rows["cut"]),
                _values(rows["measure"]),
                _values(rows["wave"]),
                rows["value"].tolist(),
                rows["n"].tolist(),
                strict=True,
            )
            if c == "all" and w == wave
        }
        self.survey, self.tree, self.unit, self.wave, self.prev, self.pol = (
            survey,
            tree,
            unit,
            wave,
            prev,
            pol,
        )
        self.comment_rows = comments
        self.constructs = list(survey.constructs)
        self.below = [u for u in tree.order() if unit in tree.chain(u)]  # the unit first, then its tree
        self.suppressed = not any((unit, f"{c}:mean") in self.data for c in self.constructs)

    def _get(self, unit, measure):
        return self.data.get((unit, measure))

    def name(self, unit) -> str:
        kind = self.tree.kind.get(unit, "unit")
        label = self.tree.label.get(unit, unit)
        return "the organisation" if kind == "organisation" else f"{kind} {label}"

    def depth(self, unit) -> int:
        return len(self.tree.chain(unit)) - len(self.tree.chain(self.unit))

    def participation(self) -> list[dict]:
        out = []
        for u in self.below:
            resp, rate = self._get(u, "responses"), self._get(u, "response_rate")
            out.append(
                {
                    "unit": self.tree.label.get(u, u),
                    "kind": self.tree.kind[u],
                    "depth": self.depth(u),
                    "responses": None if resp is None else str(int(resp[0])),
                    "rate": None if rate is None else fmt_pct(rate[0], self.pol["percent_decimals"]),
                    "invited": None if rate is None else str(rate[1]),
                }
            )
        return out

    def scores(self) -> list[dict]:
        md = self.pol["mean_decimals"]
        out = []
        for c in self.constructs:
            mean, fav, chg = (self._get(self.unit, f"{c}:{m}") for m in ("mean", "favourable", "change"))
            out.append(
                {
                    "label": self.survey.constructs[c].label,
                    "better": better_text(self.survey, c),
                    "mean": None if mean is None else fmt_mean(mean[0], md),
                    "n": None if mean is None else str(mean[1]),
                    "favourable": None if fav is None else fmt_pct(fav[0], self.pol["percent_decimals"]),
                    "change": None if chg is None else fmt_change(chg[0], md),
                }
            )
        return out

    def heatmap(self) -> list[dict]:
        ranges = {c: scale_range(self.survey, c) for c in self.constructs}
        body = []
        for u in self.below:
            cells = []
            for c in self.constructs:
                hit = self._get(u, f"{c}:mean")
                if hit is None:
                    cells.append({"text": "not shown", "cls": "suppressed", "title": "not shown"})
                    continue
                lo, hi = ranges[c]
                b = band(hit[0], lo, hi, higher_is_better(self.survey, c))
                cells.append(
                    {
                        "text": fmt_mean(hit[0], self.pol["mean_decimals"]),
                        "cls": f"h{b}",
                        "title": BAND_TEXT[b],
                    }
                )
            body.append(
                {
                    "unit": self.tree.label.get(u, u),
                    "kind": self.tree.kind[u],
                    "depth": self.depth(u),
                    "cells": cells,
                }
            )
        return body

    def _segments(self, item_id: str, classes) -> list[dict]:
        scale = self.survey.scale_of(item_id)
        segs = []
        for pos, code in enumerate(scale.allowed):
            hit = self._get(self.unit, f"{item_id}:share:{code}")
            if hit is not None:
                segs.append(
                    {
                        "cls": classes(pos, code, scale),
                        "label": scale.label_of(code),
                        "pct": fmt_pct(hit[0], self.pol["percent_decimals"]),
                        "width": hit[0],
                        "n": hit[1],
                    }
                )
        return segs

    def distributions(self) -> list[dict]:
        out = []
        for c in self.constructs:
            questions = []
            for item_id in self.survey.constructs[c].items:
                segs = self._segments(
                    item_id, lambda pos, code, scale: "na" if code in scale.na_codes else f"s{pos + 1}"
                )
                if segs:
                    item = self.survey.item(item_id)
                    questions.append({"text": item.text, "reverse": item.reverse, "segments": segs})
            if questions:
                out.append({"label": self.survey.constructs[c].label, "questions": questions})
        return out

    def rhythm(self) -> list[dict]:
        out = []
        for role, what in (("cadence", "cadence"), ("meeting_length", "usual length")):
            item = self.survey.role_item(role)
            if item is None:
                continue
            segs = self._segments(item.id, lambda pos, code, scale: f"c{pos % 5 + 1}")
            out.append(
                {
                    "title": f"1:1 {what}",
                    "text": item.text,
                    "segments": segs,
                    "n": str(segs[0]["n"]) if segs else None,
                }
            )
        return out

    def comments(self) -> list[dict] | None:
        """Comment sets of the unit and the units below it, in the order of the tree."""
        if self.comment_rows is None:
            return None
        order = {u: i for i, u in enumerate(self.below)}
        items = {it.id: i for i, it in enumerate(self.survey.items)}
        groups = []
        for u, item, n, said in self.comment_rows:  # grouped by manager.comment_groups
            if self.tree.kind.get(u) == "team":
                title = f"Team {self.tree.label.get(u, u)} ({n} respondents)"
            else:
                title = (
                    f"Teams of {self.name(u)} too small to show their comments on their own "
                    f"({n} respondents together)"
                )
            groups.append(
                {
                    "key": (order.get(u, len(order)), items.get(item, len(items))),
                    "title": title,
                    "question": self.survey.item(item).text,
                    "comments": said,
                }
            )
        return sorted(groups, key=lambda g: g["key"])

    def html(self) -> str:
        return (
            environment()
            .get_template("unit.html.j2")
            .render(
                name=self.name(self.unit),
                kind=self.tree.kind[self.unit],
                label=self.tree.label.get(self.unit, self.unit),
                wave=self.wave,
                prev=self.prev,
                title=self.survey.title,
                suppressed=self.suppressed,
                min_scores=self.pol["min_scores"],
                min_distribution=self.pol["min_distribution"],
                min_comments=self.pol["min_comments"],
                participation=self.participation(),
                scores=self.scores(),
                constructs=[
                    {
                        "label": self.survey.constructs[c].label,
                        "better": better_text(self.survey, c),
                    }
                    for c in self.constructs
                ],
                heatmap=self.heatmap(),
                bins=list(enumerate(BAND_TEXT)),
                distributions=self.distributions(),
                rhythm=self.rhythm(),
                any_change=any((self.unit, f"{c}:change") in self.data for c in self.constructs),
                comments=self.comments(),
            )
        )
