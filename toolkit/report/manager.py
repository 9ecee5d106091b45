"""The manager report: one self-contained HTML file per team, rendered only from the release.

Privacy rests on one rule: a manager report reads nothing but the release rows of its audience,
``manager:<team>`` (the team, the units above it and the organisation, after disclosure
control). :func:`manager_report` takes those rows first and passes only them on; the renderer
refuses rows of any other audience. The units table gives only the shape of the organisation
(parents, kinds, labels); the survey gives only wording (construct labels, item texts, answer
labels). Besides the ``cut=all`` rows it reads the organisation's cadence cuts (``cadence=<code>``):
the organisation's construct means among the respondents who report the team's most common
cadence (taken from the team's published cadence distribution, never from responses), and the
organisation's depth by cadence. What the release does not carry, the report says is not
published: the team's 1:1 cadence and length when their distributions are suppressed, and a
comparison with teams of the same cadence when it cannot be made from published rows. Comments
come from the comment release (:func:`toolkit.release_comments`), the rows of the same audience.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.privacy.disclosure import load_policy
from toolkit.report import _svg
from toolkit.report._common import (
    codes_and_labels,
    environment,
    fmt_change,
    fmt_mean,
    fmt_pct,
    wave_before,
)
from toolkit.report._prompts import _GENERIC_PROMPTS, DIRECTION, PROMPTS
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["DIRECTION", "PROMPTS", "manager_report", "weakest_constructs", "write_manager_reports"]

_ROLES_BACK_TO_FRONT = ("organisation", "division", "department", "team")


# --------------------------------------------------------------------------- public API


def manager_report(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    team: str,
    wave: str,
    policy: Mapping | str | Path | None = None,
    comments: pd.DataFrame | None = None,
) -> str:
    """The HTML report of one team's manager, from the release rows of ``manager:<team>`` only.

    Parameters
    ----------
    release : DataFrame
        The output of :func:`toolkit.release` (every audience or only this one).
    survey : Survey
        Wording only: construct labels and descriptions, item texts, answer labels.
    units : DataFrame
        ``unit``, ``parent``, ``kind`` (and optional ``label``): which published units are the
        team's department, division and organisation.
    team : str
        The team id (a unit of kind ``team``).
    wave : str
        The wave reported, like ``"2026Q2"``.
    policy : mapping, str or Path, optional
        The policy the release was made with: its decimals format the numbers exactly as the
        release shows them, and ``min_scores`` is named in the suppressed state.
    comments : DataFrame, optional
        The comment release (:func:`toolkit.release_comments`); only the rows of
        ``manager:<team>`` and ``wave`` are read. Without it the report says that comments are
        not part of it.

    Returns
    -------
    str
        A complete HTML document: inline CSS and SVG, no scripts, no external assets.

    Raises
    ------
    ValueError
        When ``team`` is not a team of ``units`` or ``wave`` is not a wave of the release.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> rel = toolkit.release(valid, survey, units, audiences=["manager:t01"])
    >>> html = manager_report(rel, survey, units, team="t01", wave="2026Q1")
    >>> html.startswith("<!DOCTYPE html>") and "<svg" in html
    True
    """
    tree = Units(units)
    if tree.kind.get(team) != "team":
        raise ValueError(f"team must be a unit of kind team in units; got {team!r}")
    audience = f"manager:{team}"
    rows = release[release["audience"] == audience]  # the only rows the report may read
    prev = wave_before(release, wave)
    said = None if comments is None else _comment_rows(comments, audience, wave)
    pol = load_policy(policy)
    return _render(rows, survey, tree, team=team, wave=wave, prev=prev, pol=pol, comments=said)


def write_manager_reports(
    release: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    wave: str,
    out_dir: str | Path,
    managers: pd.DataFrame | None = None,
    policy: Mapping | str | Path | None = None,
    teams: list[str] | None = None,
    comments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Write one report per team (``<team>.html``) and ``manifest.csv`` into ``out_dir``.

    Every file is written atomically. The release is split by audience once (sorted codes), so
    the cost per report does not grow with the size of the organisation.

    Parameters
    ----------
    release, survey, units, policy, comments
        As in :func:`manager_report`.
    wave : str
        The wave reported.
    out_dir : str or Path
        Created when missing.
    managers : DataFrame, optional
        ``team`` and ``manager`` (like ``teams.csv`` of the sample); else a ``manager`` column of
        ``units`` when there is one; else the manifest's ``manager`` is missing.
    teams : list of str, optional
        Only these teams (default: every team of ``units``).

    Returns
    -------
    DataFrame
        The manifest: ``team``, ``manager``, ``file`` (the file name inside ``out_dir``),
        ``suppressed`` (the team's own scores are not shown).
    """
    tree = Units(units)
    pol = load_policy(policy)
    prev = wave_before(release, wave)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if managers is not None:
        if not {"team", "manager"} <= set(managers.columns):
            raise ValueError("managers must have the columns team and manager")
        who = dict(zip(managers["team"].astype("str"), managers["manager"].astype("str"), strict=False))
    else:
        who = tree.manager
    wanted = tree.teams() if teams is None else list(teams)
    bad = [t for t in wanted if tree.kind.get(t) != "team"]
    if bad:
        raise ValueError(f"teams must be units of kind team; got {bad[:5]}")
    # one pass over the release: this wave's rows of cut "all", split by audience (sorted codes)
    aud_codes, aud_names = codes_and_labels(release["audience"])
    wave_codes, wave_names = codes_and_labels(release["wave"])
    cut_codes, cut_names = codes_and_labels(release["cut"])
    cad = _cadence_id(survey)
    wanted_cut = np.array([c == "all" or (cad is not None and c.startswith(f"{cad}=")) for c in cut_names])
    keep = (wave_codes == (wave_names.index(wave) if wave in wave_names else -2)) & (
        wanted_cut[cut_codes] if len(cut_names) else np.zeros(len(cut_codes), bool)
    )
    idx = np.flatnonzero(keep)
    unit_codes, unit_names = codes_and_labels(release["unit"])
    measure_codes, measure_names = codes_and_labels(release["measure"])
    order = idx[np.argsort(aud_codes[idx], kind="stable")]
    cols = (
        aud_codes[order],
        unit_codes[order],
        measure_codes[order],
        release["value"].to_numpy()[order],
        release["n"].to_numpy()[order],
        cut_codes[order],
    )
    del keep, idx, order
    code_of = {a: i for i, a in enumerate(aud_names)}
    said = {}
    if comments is not None:
        _check_comments(comments)
        now = comments[comments["wave"].astype("str") == wave]
        said = {str(a): part for a, part in now.groupby(now["audience"].astype("str"), sort=False)}
    bounds = np.searchsorted(cols[0], np.arange(len(aud_names) + 1, dtype=cols[0].dtype))
    files, suppressed, seen = [], [], {}
    for t in wanted:
        code = code_of.get(f"manager:{t}", -1)
        lo, hi = (int(bounds[code]), int(bounds[code + 1])) if code >= 0 else (0, 0)
        a, u, m, v, n, cc = (c[lo:hi] for c in cols)
        if (a != code).any():  # the privacy choke point: only this audience's rows
            raise ValueError(f"manager report of manager:{t} was given rows of other audiences")
        data, cuts = {}, {}
        for uu, mm, vv, nn, ci in zip(
            u.tolist(), m.tolist(), v.tolist(), n.tolist(), cc.tolist(), strict=True
        ):
            if cut_names[ci] == "all":
                data[(unit_names[uu], measure_names[mm])] = (vv, nn)
            else:
                cuts[(unit_names[uu], cut_names[ci], measure_names[mm])] = (vv, nn)
        mine = None if comments is None else said.get(f"manager:{t}", comments.iloc[:0])
        view = _View(data, survey, tree, team=t, wave=wave, prev=prev, pol=pol, cuts=cuts, comments=mine)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", t) + ".html"
        if name in seen:
            raise ValueError(f"teams {seen[name]!r} and {t!r} map to the same file name {name}")
        seen[name] = t
        atomic_write_text(out / name, view.html())
        files.append(name)
        suppressed.append(view.suppressed)
    manifest = pd.DataFrame(
        {
            "team": pd.array(wanted, dtype="str"),
            "manager": pd.array([who.get(t) for t in wanted], dtype="str"),
            "file": pd.array(files, dtype="str"),
            "suppressed": np.array(suppressed, dtype=bool),
        }
    )
    atomic_write_text(out / "manifest.csv", manifest.to_csv(index=False))
    return manifest


def weakest_constructs(means: Mapping[str, float], survey: Survey, k: int = 3) -> list[str]:
    """The ``k`` constructs with the worst means, taking each construct's :data:`DIRECTION`.

    A "higher is worse" construct is mirrored on its scale (``lo + hi - mean``) before ranking;
    ties go to the construct listed first in the survey.

    Examples
    --------
    >>> import toolkit
    >>> s = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> weakest_constructs({"depth": 2.1, "trust": 4.0, "holding_back": 4.5, "growth": 3.0}, s)
    ['holding_back', 'depth', 'growth']
    """
    order = list(survey.constructs)
    scored = []
    for c, m in means.items():
        lo, hi = _scale_range(survey, c)
        good = m if DIRECTION.get(c, 1) > 0 else lo + hi - m
        scored.append((good, order.index(c) if c in order else len(order), c))
    return [c for _, _, c in sorted(scored)[:k]]


def choose_prompt(construct: str, team: str, wave: str) -> str:
    """The prompt for ``construct``: deterministic per team, wave and construct (CRC-32), so it varies
    between quarters and teams but not between runs."""
    options = PROMPTS.get(construct, _GENERIC_PROMPTS)
    return options[zlib.crc32(f"{team}|{wave}|{construct}".encode()) % len(options)]


# --------------------------------------------------------------------------- internals


def _scale_range(survey: Survey, construct: str) -> tuple[float, float]:
    con = survey.constructs.get(construct)
    if con is None:
        return 1.0, 5.0
    codes = [c for c in survey.scale_of(con.items[0]).codes if isinstance(c, (int, float))]
    return (float(min(codes)), float(max(codes))) if codes else (1.0, 5.0)


def _values(col: pd.Series) -> list[str]:
    """The values of a (categorical or plain) column as str, decoding only the codes present."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(x) for x in col.cat.categories.take(col.cat.codes.to_numpy()).tolist()]
    return [str(x) for x in col.tolist()]


def _audience_data(rows: pd.DataFrame, audience: str, wave: str) -> dict:
    """(unit, measure) -> (value, n) of ``wave``, cut ``all``; refuses rows of any other audience."""
    present = set(_values(rows["audience"].drop_duplicates()))
    if present - {audience}:  # the privacy choke point: never render another audience's rows
        raise ValueError(f"manager report of {audience} was given rows of {sorted(present - {audience})}")
    return {(u, m): vn for u, c, m, vn in _cells(rows, wave) if c == "all"}


def _cut_data(rows: pd.DataFrame, wave: str, item_id: str | None) -> dict:
    """(unit, cut, measure) -> (value, n) of ``wave`` for the cuts ``<item_id>=<code>``."""
    if item_id is None:
        return {}
    prefix = f"{item_id}="
    return {(u, c, m): vn for u, c, m, vn in _cells(rows, wave) if c.startswith(prefix)}


def _cells(rows: pd.DataFrame, wave: str):
    """(unit, cut, measure, (value, n)) of every row of ``wave``."""
    for u, m, c, w, v, n in zip(
        _values(rows["unit"]),
        _values(rows["measure"]),
        _values(rows["cut"]),
        _values(rows["wave"]),
        rows["value"].tolist(),
        rows["n"].tolist(),
        strict=True,
    ):
        if w == wave:
            yield u, c, m, (float(v), int(n))


def _cadence_id(survey: Survey) -> str | None:
    item = survey.role_item("cadence")
    return None if item is None else item.id


def _render(rows, survey, tree, *, team, wave, prev, pol, comments=None) -> str:
    data = _audience_data(rows, f"manager:{team}", wave)
    cuts = _cut_data(rows, wave, _cadence_id(survey))
    view = _View(data, survey, tree, team=team, wave=wave, prev=prev, pol=pol, cuts=cuts, comments=comments)
    return view.html()


_COMMENT_COLUMNS = ("audience", "wave", "unit", "item", "comment", "n")


def _check_comments(comments: pd.DataFrame) -> None:
    if not isinstance(comments, pd.DataFrame) or not set(_COMMENT_COLUMNS) <= set(comments.columns):
        raise ValueError(
            "comments must be the comment release (toolkit.release_comments) with the columns "
            + ", ".join(_COMMENT_COLUMNS)
        )


def _comment_rows(comments: pd.DataFrame, audience: str, wave: str) -> pd.DataFrame:
    """The comment release rows one manager report may read: its audience's, of its wave."""
    _check_comments(comments)
    keep = (comments["audience"].astype("str") == audience) & (comments["wave"].astype("str") == wave)
    return comments[keep]


class _View:
    """What one manager report shows, computed from its audience's rows alone."""

    def __init__(
        self, data: dict, survey: Survey, tree: Units, *, team, wave, prev, pol, cuts=None, comments=None
    ):
        """``data`` maps (unit, measure) to (value, n): this wave's ``cut=all`` rows of ``manager:<team>``;
        ``cuts`` maps (unit, cut, measure) to (value, n): its cadence cuts; ``comments`` is this wave's
        comment release rows of ``manager:<team>`` (``None``: comments are not part of the report)."""
        self.survey, self.tree, self.team, self.wave, self.prev, self.pol = (
            survey,
            tree,
            team,
            wave,
            prev,
            pol,
        )
        self.data = data
        self.cuts = cuts or {}
        if comments is not None and (comments["audience"].astype("str") != f"manager:{team}").any():
            raise ValueError(f"manager report of manager:{team} was given comments of other audiences")
        self.comment_rows = comments
        self.org = tree.chain(team)[-1]
        self.cadence_item = survey.role_item("cadence")
        self.length_item = survey.role_item("meeting_length")
        self.mode = self._modal_cadence()
        units_seen = {u for u, _ in self.data}
        chain = tree.chain(team)
        self.compare = [u for u in chain[1:] if u in units_seen]  # nearest first
        self.constructs = list(survey.constructs)
        self.suppressed = not any((team, f"{c}:mean") in self.data for c in self.constructs)

    # -- numbers as the release shows them

    def _get(self, unit, measure):
        return self.data.get((unit, measure))

    def mean(self, unit, measure):
        hit = self._get(unit, measure)
        return None if hit is None else fmt_mean(hit[0], self.pol["mean_decimals"])

    def pct(self, unit, measure):
        hit = self._get(unit, measure)
        return None if hit is None else fmt_pct(hit[0], self.pol["percent_decimals"])

    def label(self, unit) -> str:
        kind = self.tree.kind.get(unit, "unit")
        name = self.tree.label.get(unit, unit)
        return "the organisation" if kind == "organisation" else f"{kind} {name}"

    def role(self, unit) -> str:
        return self.tree.kind.get(unit, "organisation")

    # -- sections

    def participation(self) -> list[dict]:
        out = []
        for unit in [self.team, *self.compare]:
            resp = self._get(unit, "responses")
            rate = self._get(unit, "response_rate")
            out.append(
                {
                    "unit": "Your team" if unit == self.team else self.label(unit).capitalize(),
                    "responses": None if resp is None else str(int(resp[0])),
                    "rate": None if rate is None else fmt_pct(rate[0], self.pol["percent_decimals"]),
                    "invited": None if rate is None else str(rate[1]),
                }
            )
        return out

    def scores(self) -> list[dict]:
        out = []
        for c in self.constructs:
            con = self.survey.constructs[c]
            t = self._get(self.team, f"{c}:mean")
            out.append(
                {
                    "id": c,
                    "label": con.label,
                    "description": con.description,
                    "better": "lower is better" if DIRECTION.get(c, 1) < 0 else "higher is better",
                    "team": self.mean(self.team, f"{c}:mean"),
                    "n": None if t is None else str(t[1]),
                    "favourable": self.pct(self.team, f"{c}:favourable"),
                    "change": None
                    if (h := self._get(self.team, f"{c}:change")) is None
                    else fmt_change(h[0], self.pol["mean_decimals"]),
                    "others": [self.mean(u, f"{c}:mean") for u in self.compare],
                    "same_cadence": self._cadence_mean(self.mode, c),
                }
            )
        return out

    def chart(self) -> str:
        rows, roles = [], []
        for u in self.compare:
            if self.role(u) not in roles:
                roles.append(self.role(u))
        roles = [r for r in _ROLES_BACK_TO_FRONT if r in roles] + ["team"]
        lo, hi = 5.0, 1.0
        for c in self.constructs:
            a, b = _scale_range(self.survey, c)
            lo, hi = min(lo, a), max(hi, b)
            points = {}
            for unit, role in [(self.team, "team"), *((u, self.role(u)) for u in self.compare)]:
                hit = self._get(unit, f"{c}:mean")
                if hit is not None and role not in points:
                    points[role] = (hit[0], fmt_mean(hit[0], self.pol["mean_decimals"]))
            rows.append(_svg.DotRow(self.survey.constructs[c].label, points))
        who = ", ".join(self.label(u) for u in self.compare)
        aria = (
            f"Dot chart of the construct means of "
            f"{'your team (not shown: too few responses), ' if self.suppressed else 'your team (circles) '}"
            f"against {who}. The same numbers are in the table of scores."
        )
        return _svg.dot_chart(rows, lo=lo, hi=hi, label=aria, roles=roles)

    def legend(self) -> list[dict]:
        items = (
            [] if self.suppressed else [{"symbol": _svg.legend_symbol("team"), "text": "Your team (circle)"}]
        )
        shapes = {"department": "diamond", "division": "triangle", "organisation": "vertical bar"}
        for u in self.compare:
            role = self.role(u)
            items.append(
                {
                    "symbol": _svg.legend_symbol(role),
                    "text": f"{self.label(u).capitalize()} ({shapes.get(role, '')})",
                }
            )
        return items

    def distributions(self) -> list[dict]:
        out = []
        for c in self.constructs:
            items = []
            for item_id in self.survey.constructs[c].items:
                scale = self.survey.scale_of(item_id)
                segs = []
                for pos, code in enumerate(scale.allowed):
                    hit = self._get(self.team, f"{item_id}:share:{code}")
                    if hit is None:
                        continue
                    segs.append(
                        {
                            "cls": "na" if code in scale.na_codes else f"s{pos + 1}",
                            "label": scale.label_of(code),
                            "pct": fmt_pct(hit[0], self.pol["percent_decimals"]),
                            "width": hit[0],
                        }
                    )
                if segs:
                    item = self.survey.item(item_id)
                    items.append({"text": item.text, "reverse": item.reverse, "segments": segs})
            if items:
                out.append({"label": self.survey.constructs[c].label, "questions": items})
        return out

    # -- cadence

    def _shares(self, item) -> list[dict] | None:
        """The team's published distribution of a cadence or length item, as bar segments."""
        if item is None:
            return None
        scale = self.survey.scale_of(item.id)
        segs = []
        for pos, code in enumerate(scale.allowed):
            hit = self._get(self.team, f"{item.id}:share:{code}")
            if hit is None:
                continue
            segs.append(
                {
                    "code": code,
                    "cls": f"c{pos % 5 + 1}",
                    "label": scale.label_of(code),
                    "pct": fmt_pct(hit[0], self.pol["percent_decimals"]),
                    "width": hit[0],
                    "n": hit[1],
                }
            )
        return segs or None

    def _modal_cadence(self):
        """The team's most common cadence answer, from its published distribution only (ties: the
        first answer of the scale); ``None`` when the distribution is not published."""
        segs = self._shares(self.cadence_item)
        if not segs:
            return None
        best = max(segs, key=lambda sg: sg["width"])  # max keeps the first of equal shares
        return best["code"]

    def _cadence_mean(self, code, construct):
        if code is None:
            return None
        hit = self.cuts.get((self.org, f"{self.cadence_item.id}={code}", f"{construct}:mean"))
        return None if hit is None else fmt_mean(hit[0], self.pol["mean_decimals"])

    def rhythm(self) -> list[dict]:
        out = []
        for item, what in ((self.cadence_item, "cadence"), (self.length_item, "usual length")):
            if item is None:
                continue
            segs = self._shares(item)
            out.append(
                {
                    "title": f"Your team's 1:1 {what}",
                    "text": item.text,
                    "segments": segs,
                    "n": None if not segs else str(segs[0]["n"]),
                }
            )
        return out

    def cadence_label(self) -> str | None:
        if self.mode is None:
            return None
        return self.survey.scale_of(self.cadence_item.id).label_of(self.mode)

    def depth_by_cadence(self) -> list[dict]:
        """The organisation's depth mean by reported cadence: every published cadence cut."""
        if self.cadence_item is None or "depth" not in self.survey.constructs:
            return []
        scale = self.survey.scale_of(self.cadence_item.id)
        out = []
        for code in scale.allowed:
            hit = self.cuts.get((self.org, f"{self.cadence_item.id}={code}", "depth:mean"))
            if hit is not None:
                out.append(
                    {
                        "label": scale.label_of(code),
                        "mean": fmt_mean(hit[0], self.pol["mean_decimals"]),
                        "n": str(hit[1]),
                        "team": code == self.mode,
                    }
                )
        return out

    def prompts(self) -> tuple[str | None, list[dict]]:
        for unit in [self.team, *self.compare]:
            means = {c: h[0] for c in self.constructs if (h := self._get(unit, f"{c}:mean")) is not None}
            if means:
                weak = weakest_constructs(means, self.survey)
                source = None if unit == self.team else self.label(unit)
                return source, [
                    {
                        "construct": self.survey.constructs[c].label,
                        "score": fmt_mean(means[c], self.pol["mean_decimals"]),
                        "better": "lower is better" if DIRECTION.get(c, 1) < 0 else "higher is better",
                        "prompt": choose_prompt(c, self.team, self.wave),
                    }
                    for c in weak
                ]
        return None, []

    def comments(self) -> list[dict] | None:
        """The comment sets, the team's first, then those of the units above (pooled small teams)."""
        if self.comment_rows is None:
            return None
        rows = self.comment_rows
        chain = self.tree.chain(self.team)
        order = {u: i for i, u in enumerate(chain)}
        items = {it.id: i for i, it in enumerate(self.survey.items)}
        groups = []
        for (unit, item), part in rows.groupby([rows["unit"].astype("str"), rows["item"].astype("str")]):
            n = int(part["n"].iloc[0])
            if unit == self.team:
                title = f"Your team ({n} respondents)"
            else:
                title = (
                    f"Teams of {self.label(unit)} whose groups are too small to show their comments "
                    f"on their own ({n} respondents together)"
                )
            groups.append(
                {
                    "key": (order.get(unit, len(chain)), items.get(item, len(items))),
                    "title": title,
                    "question": self.survey.item(item).text,
                    "comments": part["comment"].astype("str").tolist(),
                }
            )
        return sorted(groups, key=lambda g: g["key"])

    def html(self) -> str:
        source, prompts = self.prompts()
        scores = self.scores()
        return (
            environment()
            .get_template("manager.html.j2")
            .render(
                team=self.tree.label.get(self.team, self.team),
                wave=self.wave,
                prev=self.prev,
                title=self.survey.title,
                suppressed=self.suppressed,
                min_scores=self.pol["min_scores"],
                compare=[self.label(u) for u in self.compare],
                participation=self.participation(),
                scores=scores,
                chart=self.chart(),
                legend=self.legend(),
                distributions=self.distributions(),
                prompt_source=source,
                prompts=prompts,
                min_distribution=self.pol["min_distribution"],
                rhythm=self.rhythm(),
                cadence_label=self.cadence_label(),
                same_cadence=any(s_["same_cadence"] for s_ in scores),
                depth_by_cadence=self.depth_by_cadence(),
                org_label=self.label(self.org),
                any_change=any((self.team, f"{c}:change") in self.data for c in self.constructs),
                comments=self.comments(),
                min_comments=self.pol["min_comments"],
            )
        )
