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
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import atomic_write_text, flush_folder
from toolkit.privacy.disclosure import load_policy
from toolkit.report._common import codes_and_labels, higher_is_better, scale_range, wave_before
from toolkit.report._manager_view import View, choose_prompt, survey_facts
from toolkit.report._prompts import DIRECTION, PROMPTS
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = [
    "DIRECTION",
    "PROMPTS",
    "choose_prompt",
    "manager_report",
    "weakest_constructs",
    "write_manager_reports",
]


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

    Every file is written atomically, and flushed to disk before the manifest is. The release is
    split by audience once (sorted codes), so the cost per report does not grow with the size of
    the organisation.

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
        said = comment_groups(now)
    facts = survey_facts(survey)
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
        mine = None if comments is None else said.get(f"manager:{t}", [])
        view = View(
            data, survey, tree, team=t, wave=wave, prev=prev, pol=pol, cuts=cuts, comments=mine, facts=facts
        )
        name = re.sub(r"[^A-Za-z0-9._-]", "_", t) + ".html"
        if name in seen:
            raise ValueError(f"teams {seen[name]!r} and {t!r} map to the same file name {name}")
        seen[name] = t
        atomic_write_text(out / name, view.html(), durable=False)  # flushed once, below
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
    flush_folder(out)
    atomic_write_text(out / "manifest.csv", manifest.to_csv(index=False))
    return manifest


def weakest_constructs(means: Mapping[str, float], survey: Survey, k: int = 3) -> list[str]:
    """The ``k`` constructs with the worst means, taking each construct's direction from the survey
    (``better: lower``).

    The reports do not rank constructs by their means (a team's prompts go to constructs where it
    is credibly worse than the organisation); this is for analysts. A "lower is better" construct
    is mirrored on its scale (``lo + hi - mean``) before ranking;
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
        lo, hi = scale_range(survey, c)
        good = m if higher_is_better(survey, c) else lo + hi - m
        scored.append((good, order.index(c) if c in order else len(order), c))
    return [c for _, _, c in sorted(scored)[:k]]


# --------------------------------------------------------------------------- internals


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
    view = View(data, survey, tree, team=team, wave=wave, prev=prev, pol=pol, cuts=cuts, comments=comments)
    return view.html()


_COMMENT_COLUMNS = ("audience", "wave", "unit", "item", "comment", "n")


def _check_comments(comments: pd.DataFrame) -> None:
    if not isinstance(comments, pd.DataFrame) or not set(_COMMENT_COLUMNS) <= set(comments.columns):
        raise ValueError(
            "comments must be the comment release (toolkit.release_comments) with the columns "
            + ", ".join(_COMMENT_COLUMNS)
        )


def _comment_rows(comments: pd.DataFrame, audience: str, wave: str) -> list[tuple]:
    """The comment release rows one manager report may read (its audience's, of its wave), grouped
    as :func:`comment_groups` does."""
    _check_comments(comments)
    keep = (comments["audience"].astype("str") == audience) & (comments["wave"].astype("str") == wave)
    return comment_groups(comments[keep]).get(audience, [])


def comment_groups(rows: pd.DataFrame) -> dict[str, list[tuple[str, str, int, list[str]]]]:
    """The comment release rows grouped once for every report: audience -> [(unit, item, n,
    comments)], in one pass over the rows (not one ``groupby`` per report)."""
    out: dict[str, list] = {}
    if rows.empty:
        return out
    keys = pd.MultiIndex.from_arrays(
        [rows["audience"].astype("str"), rows["unit"].astype("str"), rows["item"].astype("str")]
    )
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    text = rows["comment"].astype("str").to_numpy()[order]
    n = rows["n"].to_numpy()[order]
    for g, (audience, unit, item) in enumerate(uniques):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        out.setdefault(audience, []).append((unit, item, int(n[lo]), text[lo:hi].tolist()))
    return out
