r"""Disclosure control: the release table, the only input of reports and of the portal.

:func:`release` turns the canonical responses of every wave to date into one row per published
number and audience. What it guarantees, and against whom:

**The attacker** sees every row of one or more audiences (a manager, a leader, all managers of a
department with their leader, or everything published), across waves. They know the organisation,
and every respondent's team, demographic answers and reported 1:1 cadence, and who answered each
question, who answered "does not apply" and who left it blank. They do not know the answers to the
scored questions or the length of anyone's 1:1s. They treat every published number as a linear
constraint on integer answers (rounding taken as exact).

**The guarantee**: no combination of published numbers of one wave is a function of the answers of
fewer than ``min_scores`` respondents (``min_distribution`` for answer distributions), other than
the published groups themselves. A difference of published groups is never unanimous on an item
while its group is not, and no group whose members answered different numbers of a construct's
items is shown to have answered all on one side of the scale. These two rules read the answers, so
a number they hide tells that the condition may hold (the rules are public). That
holds for everything published to all audiences together, so for any one audience, any group of
them, and every wave (a wave's numbers never involve another wave's answers; a ``change`` is the
difference of two shown means).
A published group can still be read exactly, including a group where everybody gave the same
answer. The tests' integer-programming adversary (``tests/privacy``) checks it, solving for every
respondent's answers and scores from all the rows a view holds.

How (per wave and measure family; :mod:`toolkit.privacy._suppress` holds the rules):

1. **Thresholds.** A number is published only when its group reaches the policy's threshold:
   ``min_scores`` (5) respondents for means and favourable shares, ``min_distribution`` (10) for
   answer distributions, ``min_invited`` (5) invited for response rates.
2. **Units.** The published units form a tree; each unit's respondents minus those of its nearest
   published descendants (its *atom*) must be none or at least the threshold, else the smallest
   published descendant, or the unit, is hidden. A unit identical to its only child adds nothing.
3. **Items.** A construct's mean pools the valid answers to its items (each answer counts once,
   as survey platforms compute a factor score), so it is the sum of its item sums and adds nothing
   to the item means: otherwise the construct mean minus the item means would give away the
   score of whoever answered "does not apply" to one item. Item means and answer shares are
   computed over the respondents who have a score on the construct, published on the units where
   every item has ``min_scores`` valid answers (``min_distribution`` answers for shares), and each
   item follows the unit rule on its own answerers.
4. **Cuts.** Cuts by a demographic item (``<item>=<code>``) and by reported cadence
   (``cadence=<code>``) are published for the organisation only (:data:`CADENCE_CUT_KINDS`), each
   with ``min_scores`` respondents, and only while no set of codes of one or two cut items, taken
   with the units' atoms, singles out 1 to ``min_scores - 1`` people; otherwise the smallest
   code involved is hidden. Cuts carry construct means, not favourable shares: a favourable count
   moves by whole answers between none and all, so in a small organisation a combination of the
   cuts' counts with the units' can sit at its least or greatest value and pin someone (the
   tests' adversary found it with one cut item and with three).
5. **Unanimous differences.** An item's answers in a published unit minus its nearest published
   descendants (its atom, known exactly from the item means and shares) may not all be one code
   while the unit's are not: that would pin each of those people's answer. The smallest published
   descendant is hidden instead (on that construct's items; likewise for the cadence and
   meeting-length distributions).
6. **One-sided groups.** A favourable share of 0 or 100 confines every answer of its group to one
   side of the scale; when members answered different numbers of the construct's items ("does not
   apply"), the item means can then narrow the score of whoever skipped one below their teammates'.
   Such a share is hidden, with whatever gives it back (a sibling's share, the item answer
   shares), so that no atom of the published shares is such a group
   (:func:`toolkit.privacy._suppress.protect_bands`).
7. **Changes and rates.** ``<construct>:change`` is published whenever both waves' means are shown
   to the audience; it is the difference of the shown means, so it adds nothing. A response rate is
   published only where the unit's response count is (a rate of a suppressed count would give it).

The pattern is computed once on everything the analyst sees; every other audience sees a subset of
the analyst's rows (a manager: their team, the units above it and the organisation; a leader: their
unit and the units below it), and a subset of a safe release is safe.

Rounding "as shown": means (construct and item, and changes) to ``mean_decimals`` (default 2) on
the scale; favourable shares, answer shares and response rates as percentages (0 to 100) to
``percent_decimals`` (default 0). ``n`` is the number of respondents behind the number (for a
response rate, the number invited). Rounding is numpy's (half to even).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from toolkit.privacy import _suppress
from toolkit.privacy._audiences import _audiences
from toolkit.privacy._modelled import MODEL_MIN_TEAMS, model_rows
from toolkit.stats.scoring import score
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = [
    "CADENCE_CUT_KINDS",
    "CONSTRUCT_MEASURES",
    "DEFAULT_POLICY",
    "DISTRIBUTION_ROLES",
    "MODEL_MIN_TEAMS",
    "RELEASE_COLUMNS",
    "load_policy",
    "release",
]

#: The columns of :func:`release`, in order.
RELEASE_COLUMNS = ("audience", "wave", "unit", "cut", "measure", "value", "n")
#: Thresholds and rounding of a release; every ``min_*`` is at least 3.
DEFAULT_POLICY = {
    "min_scores": 5,
    "min_comments": 10,
    "min_invited": 5,
    "min_distribution": 10,
    "mean_decimals": 2,
    "percent_decimals": 0,
}
#: The unit kinds where the cuts (demographic ``<item>=<code>`` and ``cadence=<code>``) are published.
CADENCE_CUT_KINDS = ("organisation",)
#: The roles of the categorical items whose answer distributions are published (cut ``all``).
DISTRIBUTION_ROLES = ("cadence", "meeting_length")
#: The measures of each construct, in order (``<construct>:<measure>``).
CONSTRUCT_MEASURES = (
    "mean",
    "favourable",
    "change",
    "change_low",
    "change_high",
    "eb_mean",
    "eb_low",
    "eb_high",
    "weekly_vs_monthly",
    "weekly_vs_monthly_low",
    "weekly_vs_monthly_high",
)


# --------------------------------------------------------------------------- policy


def load_policy(policy: Mapping | str | Path | None = None) -> dict:
    """Read and check a disclosure policy: a mapping, a YAML file, or ``None`` for the defaults.

    Parameters
    ----------
    policy : mapping, str, Path or None
        Keys of :data:`DEFAULT_POLICY` (missing keys take the default).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        When a key is unknown, a threshold is not an integer of at least 3, or a number of
        decimals is not an integer from 0 to 6.

    Examples
    --------
    >>> load_policy({"min_scores": 7})["min_scores"]
    7
    >>> load_policy()["min_distribution"]
    10
    """
    if policy is None:
        given: Mapping = {}
    elif isinstance(policy, (str, Path)):
        given = yaml.safe_load(Path(policy).read_text(encoding="utf-8")) or {}
        if not isinstance(given, Mapping):
            raise ValueError(f"policy file {policy} must hold a mapping of {', '.join(DEFAULT_POLICY)}")
    elif isinstance(policy, Mapping):
        given = policy
    else:
        raise ValueError(f"policy must be a mapping, a YAML path or None; got {type(policy).__name__}")
    unknown = sorted(set(given) - set(DEFAULT_POLICY))
    if unknown:
        raise ValueError(f"policy has unknown keys {unknown}; allowed: {', '.join(DEFAULT_POLICY)}")
    out = {**DEFAULT_POLICY, **given}
    for key, value in out.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise ValueError(f"policy {key} must be an integer; got {value!r}")
        if key.startswith("min_") and value < 3:
            raise ValueError(f"policy {key} must be at least 3; got {value}")
        if key.endswith("_decimals") and not 0 <= value <= 6:
            raise ValueError(f"policy {key} must be from 0 to 6; got {value}")
        out[key] = int(value)
    return out


# --------------------------------------------------------------------------- release


def _side(stats: np.ndarray, decimals: int) -> np.ndarray:
    """``1`` (``-1``) where a group's favourable share shows as 100 (0) and its members answered
    different numbers of items, else ``0``; ``stats[..., :]`` = members, answers, sum of squared
    numbers of answers, favourable answers, answers on a scale with a favourable end."""
    n, m, m2, fav, answers = (stats[..., i] for i in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        shown = np.where(answers > 0, np.round(100 * fav / np.where(answers > 0, answers, 1), decimals), 50)
    unequal = np.rint(n * m2) != np.rint(m * m)
    return np.where(unequal & (shown == 100), 1, np.where(unequal & (shown == 0), -1, 0))


def release(
    responses: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    invited: pd.DataFrame | None = None,
    policy: Mapping | str | Path | None = None,
    complementary: bool = True,
    audiences: Iterable[str] | None = None,
) -> pd.DataFrame:
    r"""The release table: every number each audience may see, after disclosure control.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses of every wave to date (``toolkit.validate(...).valid``).
    survey : Survey
        Its demographic items (role ``demographic``) give the cuts, its cadence item (role
        ``cadence``, when the responses have its column) the cadence cuts; its constructs the scores.
    units : DataFrame
        ``unit``, ``parent``, ``kind``; the teams are the units of the ``team`` column.
    invited : DataFrame, optional
        ``team``, ``wave``, ``invited`` (headcounts from the roster); without it there are no
        ``response_rate`` rows.
    policy : mapping, str or Path, optional
        See :func:`load_policy`.
    complementary : bool, default True
        ``False`` keeps the thresholds only (no rule on atoms, items against constructs, or cut
        combinations). **Unsafe**: it exists only so that the privacy tests can show the adversary
        finds the leaks; never publish such a release.
    audiences : iterable of str, optional
        Keep only these audiences (default: ``analyst``, ``manager:<team>`` for every team and
        ``leader:<unit>`` for every other unit).

    Returns
    -------
    DataFrame
        :data:`RELEASE_COLUMNS`: ``audience``, ``wave``, ``unit``, ``cut``, ``measure``
        (categoricals), ``value`` (float, rounded as shown), ``n`` (int). Rows are ordered by
        audience (analyst, managers, leaders, each by unit order), then unit, wave, cut, measure.

    Notes
    -----
    For a group :math:`G` (respondents in the unit's subtree, in the wave and cut, with a score)
    of :math:`n = |G|` respondents, where respondent :math:`i` gave :math:`m_i` valid answers to the
    construct's items with keyed sum :math:`S_i` (so their score is :math:`s_i = S_i / m_i`),
    ``<construct>:mean`` is the pooled mean :math:`\sum_{i\in G} S_i / \sum_{i\in G} m_i` (the
    mean of the scores when everyone answered every item); ``<construct>:favourable`` is
    :math:`100\,\sum_i f_i m_i / \sum_i m_i` (as :func:`toolkit.summarise`): the share of answers at
    the construct's favourable end, after reverse keying; ``<construct>:change`` is the shown mean
    minus the previous wave's shown
    mean. Item measures (cut ``all``), over the respondents with a score on the item's construct:
    ``<item>:mean`` (raw codes of the valid answers) and ``<item>:share:<code>`` for every code,
    not-applicable ones included, of those who answered it; the same shares for the items of roles
    ``cadence`` and ``meeting_length`` (:data:`DISTRIBUTION_ROLES`), over everyone who answered.
    Cuts (``<item>=<code>`` of every demographic item and of the cadence item: construct measures
    but the favourable share, and ``responses``) exist for the organisation only. ``responses``
    counts respondents (``min_scores``); ``response_rate`` is
    :math:`100\,\text{responses}/\text{invited}` for cut ``all`` when at least ``min_invited`` were
    invited and the responses are shown. Comments are not numbers:
    :func:`toolkit.release_comments` releases them, under ``min_comments``.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> r = release(valid, survey, units, audiences=["analyst"])
    >>> list(r.columns)
    ['audience', 'wave', 'unit', 'cut', 'measure', 'value', 'n']
    >>> bool((r["n"] >= 5).all())
    True
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    if not isinstance(complementary, bool):
        raise ValueError(f"complementary must be True or False; got {complementary!r}")
    pol = load_policy(policy)
    tree = Units(units)
    if {"wave", "team", "respondent"} <= set(responses.columns):  # sums in one order: same rounding
        responses = responses.sort_values(["wave", "team", "respondent"], kind="stable", ignore_index=True)
    cells = _Release(responses, survey, tree, pol, complementary, invited)
    rows = cells.analyst_rows()
    if invited is not None:
        rows = pd.concat([rows, cells.rate_rows(invited)], ignore_index=True)
    return _audiences(rows, tree, cells, audiences)


class _Release:
    """Counts and sums per (unit, wave, family), what disclosure control lets through, and the rows.

    Layers: ``l = wave * F + family``, where family 0 is the respondents and family ``k + 1`` the
    respondents with a score on construct ``k``. Arrays indexed ``[unit, layer]`` hold rolled-up
    counts and sums (every unit holds its subtree); ``team_*`` arrays hold the teams' own.
    """

    def __init__(self, responses, survey, tree, pol, complementary, invited=None):
        for col in ("respondent", "wave", "team"):
            if col not in responses.columns:
                raise ValueError(f"responses has no column {col!r}")
        self.tree, self.pol, self.survey, self.complementary = tree, pol, survey, complementary
        self._responses = responses
        team_names = responses["team"].astype("str").to_numpy(dtype=object)
        uniq = pd.unique(team_names)
        lookup = {t: tree.index.get(t, -1) for t in uniq}
        unknown = sorted({t for t, u in lookup.items() if u < 0 or tree.kinds[u] != "team"}, key=str)
        if unknown:
            raise ValueError(f"responses name teams that are not team units of units: {unknown[:5]}")
        self.team = np.array([lookup[t] for t in team_names], dtype=np.int64)
        wave_text = responses["wave"].astype("str").to_numpy(dtype=object)
        self.waves = sorted(pd.unique(wave_text))
        self.wave = np.searchsorted(np.array(self.waves, dtype=object), wave_text).astype(np.int64)
        self.constructs = list(survey.constructs)
        K, R = len(self.constructs), len(responses)
        self.F, self.W, self.U = K + 1, len(self.waves), tree.size
        self.L = self.W * self.F
        self.teams = np.flatnonzero(tree.kinds == "team")
        self.root = int(np.flatnonzero(tree.parent_index < 0)[0])
        sc = score(responses, survey)
        self._scores, self._invited = sc, invited
        s = sc["score"].to_numpy(dtype=np.float64, na_value=np.nan).reshape(R, K)
        self.s = s
        f = sc["favourable"].to_numpy(dtype=np.float64, na_value=np.nan).reshape(R, K)
        m = sc["n_items"].to_numpy(dtype=np.float64).reshape(R, K)
        self.scored = ~np.isnan(s)
        fm_ok = self.scored & ~np.isnan(f)
        self.member = np.column_stack([np.ones(R, bool), self.scored])  # [R, F]
        # a construct's mean pools its valid answers (each answer once): sum of answers / answers
        self.vals = {
            "sum": np.column_stack([np.zeros(R), np.where(self.scored, s * m, 0.0)]),
            "m": np.column_stack([np.zeros(R), np.where(self.scored, m, 0.0)]),
            "fm": np.column_stack([np.zeros(R), np.where(fm_ok, f * m, 0.0)]),
            "mf": np.column_stack([np.zeros(R), np.where(fm_ok, m, 0.0)]),
        }
        self.layer = self.wave[:, None] * self.F + np.arange(self.F)[None, :]  # [R, F]
        self.team_n = self._team_sum(self.member.astype(np.float64))
        self.n = self._rollup_int(self.team_n)
        self.agg = {k: tree.rollup(self._team_sum(v)) for k, v in self.vals.items()}
        T = pol["min_scores"]
        self.pub = self.n >= T
        if complementary:
            self.pub = _suppress.protect_tree(
                tree.parent_index,
                tree.depth,
                self.teams,
                self.team_n[:, :, None],
                self.n[:, :, None],
                self.pub,
                T,
            )
        self._bands()
        self._items()
        self._cuts()

    # ------------------------------------------------------------------ aggregation helpers

    def _team_sum(self, values: np.ndarray) -> np.ndarray:
        """Per-response values ``[R, F]`` summed into ``[U, L]`` at each response's team."""
        flat = (self.team[:, None] * self.L + self.layer).ravel()
        return np.bincount(flat, weights=values.ravel(), minlength=self.U * self.L).reshape(self.U, self.L)

    def _by_team_wave(self, weights: np.ndarray) -> np.ndarray:
        """Per-response weights ``[R]`` summed per team and wave: ``[U, W]``."""
        idx = self.team * self.W + self.wave
        return np.bincount(idx, weights=weights, minlength=self.U * self.W).reshape(self.U, self.W)

    def _rollup_int(self, team_level: np.ndarray) -> np.ndarray:
        return np.rint(self.tree.rollup(team_level)).astype(np.int64)

    def _raw(self, item_id: str) -> np.ndarray:
        return pd.to_numeric(self._responses[item_id], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )

    # ------------------------------------------------------------------ favourable shares

    def _bands(self) -> None:
        """Where the favourable shares of the units are published (``fav_pub``, ``[U, L]``)."""
        m = self.vals["m"]
        per_response = np.stack(
            [self.member.astype(np.float64), m, m * m, np.rint(self.vals["fm"]), self.vals["mf"]], axis=2
        )
        team_band = np.stack([self._team_sum(per_response[:, :, i]) for i in range(5)], axis=2)
        band = self.tree.rollup(team_band)
        side = _side(band, self.pol["percent_decimals"])
        sensitive = np.where(self.pub, side, 0)
        self.fav_pub = self.pub.copy()
        if self.complementary:
            self.fav_pub = _suppress.protect_bands(self.tree, self.teams, team_band, self.pub, sensitive)

    # ------------------------------------------------------------------ items

    def _items(self) -> None:
        """Item layer per construct and wave: item means on ``item_pub``, shares on ``share_pub``."""
        tree, W, U = self.tree, self.W, self.U
        T, TD = self.pol["min_scores"], self.pol["min_distribution"]
        K = len(self.constructs)
        self.item_pub = np.zeros((U, W, K), bool)
        self.share_pub = np.zeros((U, W, K), bool)
        self.item_data = []
        for k, cid in enumerate(self.constructs):
            con = self.survey.constructs[cid]
            scored = self.scored[:, k]
            per_item = []
            t_valid, t_answered, t_codes = [], [], []
            width = max(len(self.survey.scale_of(i).codes) for i in con.items)
            for item_id in con.items:
                scale = self.survey.scale_of(item_id)
                raw = self._raw(item_id)
                valid = scored & np.isin(raw, np.asarray(scale.codes, dtype=np.float64))
                answered = scored & ~np.isnan(raw)
                codes = list(scale.allowed)
                counts = np.stack(
                    [self._by_team_wave((answered & (raw == c)).astype(np.float64)) for c in codes], axis=2
                )
                per_item.append(
                    {
                        "id": item_id,
                        "codes": codes,
                        "sum": tree.rollup(self._by_team_wave(np.where(valid, raw, 0.0))),
                        "counts": tree.rollup(counts),
                    }
                )
                t_valid.append(self._by_team_wave(valid.astype(np.float64)))
                t_answered.append(self._by_team_wave(answered.astype(np.float64)))
                on_scale = counts[:, :, [i for i, c in enumerate(codes) if c in scale.codes]]
                t_codes.append(np.pad(on_scale, ((0, 0), (0, 0), (0, width - on_scale.shape[2]))))
            team_valid, team_answered = np.stack(t_valid, axis=2), np.stack(t_answered, axis=2)
            n_valid, n_answered = tree.rollup(team_valid), tree.rollup(team_answered)
            team_codes = np.stack(t_codes, axis=2)  # [U, W, items, codes]: valid answers per code
            codes_by_unit = (team_codes, tree.rollup(team_codes))
            layers = np.arange(W) * self.F + k + 1
            cand = self.pub[:, layers] & (n_valid.min(axis=2) >= T)
            share_cand = n_answered.min(axis=2) >= TD
            if self.complementary:
                pub = _suppress.protect_tree(
                    tree.parent_index, tree.depth, self.teams, team_valid, n_valid, cand, T, codes_by_unit
                )
                share = _suppress.protect_tree(
                    tree.parent_index,
                    tree.depth,
                    self.teams,
                    team_answered,
                    n_answered,
                    pub & share_cand & self.fav_pub[:, layers],  # shares give the favourable count
                    TD,
                    codes_by_unit,
                )
            else:
                pub = (self.n[:, layers] >= T) & (n_valid.min(axis=2) >= T)
                share = pub & share_cand
            self.item_pub[:, :, k], self.share_pub[:, :, k] = pub, share
            for d, nv, na in zip(
                per_item, np.moveaxis(n_valid, 2, 0), np.moveaxis(n_answered, 2, 0), strict=True
            ):
                d["n_valid"], d["n_answered"] = np.rint(nv).astype(np.int64), np.rint(na).astype(np.int64)
            self.item_data.append(per_item)

    # ------------------------------------------------------------------ cuts

    def _cuts(self) -> None:
        """Cut items and their codes; which codes are published per layer (organisation only)."""
        survey, responses = self.survey, self._responses
        cadence_items = [it for it in survey.items_with_role("cadence") if it.id in responses.columns]
        self.cut_names, self.cut_items = ["all"], []
        codes_of = []
        for item in [*survey.items_with_role("demographic"), *cadence_items]:
            codes = list(survey.scales[item.scale].codes)
            if item.id not in responses.columns:
                raise ValueError(f"responses has no column {item.id!r} (a demographic item)")
            col = responses[item.id].astype("object")
            known = col.isna() | col.astype("str").isin([str(c) for c in codes])
            if not known.all():
                raise ValueError(f"column {item.id!r} holds {col[~known].iloc[0]!r}, not a code of {codes}")
            code = pd.Categorical(col.astype("str"), categories=[str(c) for c in codes]).codes
            self.cut_items.append((item.id, len(self.cut_names), len(codes)))
            self.cut_names += [f"{item.id}={c}" for c in codes]
            codes_of.append(np.where(code >= 0, code, len(codes)).astype(np.int64))
        self.cut_code = codes_of
        # per layer and cut item: respondents, sums per code at the organisation
        T = self.pol["min_scores"]
        self.cut_n = [np.zeros((self.L, k), np.int64) for _, _, k in self.cut_items]
        self.cut_agg = [{v: np.zeros((self.L, k)) for v in self.vals} for _, _, k in self.cut_items]
        self.cut_pub = [np.zeros((self.L, k), bool) for _, _, k in self.cut_items]
        for a, (_, _, k) in enumerate(self.cut_items):
            code = codes_of[a]
            for f in range(self.F):
                idx = self.wave * self.F + f
                ok = self.member[:, f] & (code < k)
                flat = idx[ok] * k + code[ok]
                self.cut_n[a] += np.rint(np.bincount(flat, minlength=self.L * k).reshape(self.L, k)).astype(
                    np.int64
                )
                for v, arr in self.vals.items():
                    self.cut_agg[a][v] += np.bincount(flat, weights=arr[ok, f], minlength=self.L * k).reshape(
                        self.L, k
                    )
        for lyr in range(self.L):
            if not self.pub[self.root, lyr]:
                continue
            pubs = [self.cut_n[a][lyr] >= T for a in range(len(self.cut_items))]
            f = lyr % self.F
            if self.complementary and f > 0 and any(p.any() for p in pubs):
                pubs = self._audit(lyr, pubs)
            for a, p in enumerate(pubs):
                self.cut_pub[a][lyr] = p

    def _audit(self, lyr: int, pubs: list[np.ndarray]) -> list[np.ndarray]:
        """The cut audit of one construct layer, over the atoms of the layer's published units."""
        w, f = divmod(lyr, self.F)
        rows = np.flatnonzero((self.wave == w) & self.member[:, f])
        owner = _suppress.owners(self.tree.parent_index, self.tree.depth, self.pub[:, lyr : lyr + 1])[:, 0]
        sub = np.unique(owner[self.team[rows]], return_inverse=True)[1].astype(np.int64)
        codes = [c[rows] for c in self.cut_code]
        n = [self.cut_n[a][lyr] for a in range(len(self.cut_items))]
        return _suppress.audit_cuts(sub, codes, pubs, n, self.pol["min_scores"])

    # ------------------------------------------------------------------ rows

    def analyst_rows(self) -> pd.DataFrame:
        F = self.F
        self.measures = ["responses"]
        for c in self.constructs:
            self.measures += [f"{c}:{m}" for m in CONSTRUCT_MEASURES]
        frames = []  # (unit, wave, cut, measure, value, n)
        # cut "all": responses and construct measures; cuts at the organisation
        shown = {}  # (unit, cut, family, wave) -> (shown mean, n), for changes
        pub = self.pub & (self.n > 0)
        uu, ll = np.nonzero(pub)
        ww, ff = ll // F, ll % F
        nn = self.n[uu, ll]
        zero = np.zeros_like(uu)
        resp = ff == 0
        frames.append((uu[resp], ww[resp], zero[resp], np.zeros(resp.sum(), np.int64), nn[resp], nn[resp]))
        cons = ~resp
        self._construct_frames(
            frames,
            uu[cons],
            ww[cons],
            zero[cons],
            ff[cons],
            nn[cons],
            *(self.agg[v][uu[cons], ll[cons]] for v in ("sum", "m", "fm", "mf")),
            self.fav_pub[uu[cons], ll[cons]],
            shown,
        )
        for a, (_, base, _) in enumerate(self.cut_items):
            ll, xx = np.nonzero(self.cut_pub[a] & (self.cut_n[a] > 0))
            ww, ff = ll // F, ll % F
            nn = self.cut_n[a][ll, xx]
            root = np.full(len(ll), self.root)
            cut = base + xx
            resp = ff == 0
            frames.append(
                (root[resp], ww[resp], cut[resp], np.zeros(resp.sum(), np.int64), nn[resp], nn[resp])
            )
            cons = ~resp
            agg = self.cut_agg[a]
            self._construct_frames(
                frames,
                root[cons],
                ww[cons],
                cut[cons],
                ff[cons],
                nn[cons],
                *(agg[v][ll[cons], xx[cons]] for v in ("sum", "m", "fm", "mf")),
                np.zeros(int(cons.sum()), bool),  # cuts publish means, not favourable shares
                shown,
            )
        self._change_frames(frames, shown)
        self._model_frames(frames, shown)
        self._item_frames(frames)
        self._categorical_frames(frames)
        cols = [np.concatenate([np.asarray(fr[i]) for fr in frames]) for i in range(6)]
        order = np.lexsort((cols[3], cols[2], cols[1], cols[0]))
        return pd.DataFrame(
            {
                "unit": cols[0][order].astype(np.int64),
                "wave": cols[1][order].astype(np.int64),
                "cut": cols[2][order].astype(np.int64),
                "measure": cols[3][order].astype(np.int64),
                "value": cols[4][order].astype(np.float64),
                "n": cols[5][order].astype(np.int64),
            }
        )

    def _construct_frames(self, frames, u, w, c, f, n, total, m, fm, mf, fav_pub, shown) -> None:
        """``<construct>:mean`` and ``:favourable`` rows; the shown means are kept for changes."""
        md, pd_ = self.pol["mean_decimals"], self.pol["percent_decimals"]
        mean = np.round(total / m, md)
        base = self._measure(f, "mean")
        frames.append((u, w, c, base, mean, n))
        ok = (mf > 0) & fav_pub
        with np.errstate(invalid="ignore", divide="ignore"):
            fav = np.round(100 * fm / mf, pd_)
        frames.append((u[ok], w[ok], c[ok], base[ok] + 1, fav[ok], n[ok]))
        for key in zip(
            u.tolist(), c.tolist(), f.tolist(), w.tolist(), mean.tolist(), n.tolist(), strict=True
        ):
            shown[key[:4]] = key[4:]

    def _change_frames(self, frames, shown) -> None:
        """``<construct>:change``: wherever the same mean is shown in a wave and the one before."""
        md = self.pol["mean_decimals"]
        rows = [
            (u, w, c, self._measure(f, "change"), round(v - shown[(u, c, f, w - 1)][0], md), n)
            for (u, c, f, w), (v, n) in shown.items()
            if w > 0 and (u, c, f, w - 1) in shown
        ]
        if rows:
            frames.append(tuple(np.array(col) for col in zip(*rows, strict=True)))

    def _measure(self, family, name: str):
        """The code of ``<construct>:<name>`` for construct family ``family`` (1 .. K)."""
        return 1 + (family - 1) * len(CONSTRUCT_MEASURES) + CONSTRUCT_MEASURES.index(name)

    def _model_frames(self, frames, shown) -> None:
        """Change intervals, team estimates and the adjusted contrast (:mod:`toolkit.privacy._modelled`)."""
        rows = model_rows(self, shown)
        if rows:
            frames.append(tuple(np.array(col) for col in zip(*rows, strict=True)))

    def _item_frames(self, frames) -> None:
        md, pd_ = self.pol["mean_decimals"], self.pol["percent_decimals"]
        for k, per_item in enumerate(self.item_data):
            for d in per_item:
                mi = len(self.measures)
                self.measures.append(f"{d['id']}:mean")
                self.measures += [f"{d['id']}:share:{code}" for code in d["codes"]]
                uu, ww = np.nonzero(self.item_pub[:, :, k] & (d["n_valid"] > 0))
                n = d["n_valid"][uu, ww]
                zero = np.zeros_like(uu)
                frames.append((uu, ww, zero, np.full(len(uu), mi), np.round(d["sum"][uu, ww] / n, md), n))
                uu, ww = np.nonzero(self.share_pub[:, :, k] & (d["n_answered"] > 0))
                n = d["n_answered"][uu, ww]
                zero = np.zeros_like(uu)
                for j in range(len(d["codes"])):
                    value = np.round(100 * d["counts"][uu, ww, j] / n, pd_)
                    frames.append((uu, ww, zero, np.full(len(uu), mi + 1 + j), value, n))

    def _categorical_frames(self, frames) -> None:
        """``<item>:share:<code>`` of the cadence and meeting-length items, cut ``all``."""
        tree, TD, pd_ = self.tree, self.pol["min_distribution"], self.pol["percent_decimals"]
        for role in DISTRIBUTION_ROLES:
            for item in self.survey.items_with_role(role):
                if item.id not in self._responses.columns:
                    continue
                codes = list(self.survey.scales[item.scale].allowed)
                col = self._responses[item.id].astype("object")
                text = col.where(col.isna(), col.astype("str")).to_numpy(dtype=object)
                team_cnt = np.stack(
                    [self._by_team_wave((text == str(code)).astype(np.float64)) for code in codes], axis=2
                )
                team_n = team_cnt.sum(axis=2, keepdims=True)
                cnt = tree.rollup(team_cnt)
                nn = np.rint(cnt.sum(axis=2)).astype(np.int64)  # those who answered with a code
                mi = len(self.measures)
                self.measures += [f"{item.id}:share:{code}" for code in codes]
                keep = nn >= TD
                if self.complementary:
                    keep = _suppress.protect_tree(
                        tree.parent_index,
                        tree.depth,
                        self.teams,
                        team_n,
                        nn[:, :, None].astype(float),
                        keep,
                        TD,
                        (team_cnt[:, :, None, :], cnt[:, :, None, :]),
                    )
                uu, ww = np.nonzero(keep & (nn > 0))
                n = nn[uu, ww]
                zero = np.zeros_like(uu)
                for j in range(len(codes)):
                    frames.append(
                        (uu, ww, zero, np.full(len(uu), mi + j), np.round(100 * cnt[uu, ww, j] / n, pd_), n)
                    )

    def rate_rows(self, invited: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in ("team", "wave", "invited") if c not in invited.columns]
        if missing:
            raise ValueError(f"invited lacks the columns {missing}; it needs team, wave, invited")
        tree, W = self.tree, self.W
        teams = invited["team"].astype("str").map(tree.index)
        waves = invited["wave"].astype("str").map({w: i for i, w in enumerate(self.waves)})
        ok = teams.notna() & waves.notna()
        inv = np.zeros((tree.size, W))
        np.add.at(
            inv,
            (teams[ok].astype(int).to_numpy(), waves[ok].astype(int).to_numpy()),
            invited["invited"][ok].to_numpy(dtype=np.float64),
        )
        inv = tree.rollup(inv)
        layers = np.arange(W) * self.F
        resp = self.n[:, layers]
        shown = self.pub[:, layers] & (resp > 0)  # a rate of a hidden count would give the count
        uu, ww = np.nonzero((inv >= self.pol["min_invited"]) & shown)
        value = np.round(100 * resp[uu, ww] / inv[uu, ww], self.pol["percent_decimals"])
        mi = len(self.measures)
        self.measures.append("response_rate")
        return pd.DataFrame(
            {
                "unit": uu,
                "wave": ww,
                "cut": np.zeros_like(uu),
                "measure": np.full(len(uu), mi),
                "value": value,
                "n": np.rint(inv[uu, ww]).astype(np.int64),
            }
        )
