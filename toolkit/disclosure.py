r"""Disclosure control: the release table, the only input of reports.

:func:`release` turns the canonical responses of every wave to date into one row per published
number and audience. A number is published only when its group reaches the policy's threshold
(*primary suppression*) and when no hidden group can be derived from what is published
(*complementary suppression*), under these linear relations, per wave and measure family:

- a parent unit is the union of its children (``parent - visible children = hidden children``);
- a unit (``cut=all``) is the union of the cuts of each demographic item (and of the cadence item)
  plus those who left the item blank (a never-published group);
- a cut nested in a cut of another cut item of the same unit (``tenure=x`` inside
  ``location=y``) with fewer than the threshold in the difference;
- a change between waves only when the respondents behind it are the same, or differ by at least
  the threshold.

For every relation whose total is published the hidden members holding respondents must be none,
or at least two holding together at least the threshold; otherwise the smallest published member is
hidden too (or the total, when none is left), until nothing changes (:mod:`toolkit._suppress`).
The pattern is computed once on everything the analyst sees; every other audience sees a subset
of the analyst's rows (a manager: their team, the units above it and the organisation; a leader:
their unit and the units below it), and a subset of a safe release is safe. In particular
``parent - own team`` reveals only the siblings' total, which holds no respondents or at least the
threshold.

Cuts are named ``<item id>=<code>``. Besides the demographic cuts (every unit), the construct
means are cut by the answer to the survey's cadence item (role ``cadence``, e.g. ``cadence=weekly``)
at the organisation and the divisions only (:data:`CADENCE_CUT_KINDS`): the reports compare a team
with the teams of the same 1:1 cadence, and show how depth varies with cadence. The adversary knows
who reports which cadence, so the cadence cuts of the other units are *soft* cells in the relations
above: never released, but counted as published when derivable (a team whose members all report
the same cadence has a cadence cut equal to the team); a released cadence cut is hidden when such a
derivation would reveal a small group. The answer distributions of the cadence and meeting-length
items (roles ``cadence`` and ``meeting_length``) are released as ``<item>:share:<code>`` like the
construct items' distributions (cut ``all``, ``min_distribution``).

Rounding "as shown": means (construct and item, and changes) to ``mean_decimals`` (default 2) on
the scale; favourable shares, answer shares and response rates as percentages (0 to 100) to
``percent_decimals`` (default 0). A change is the difference of the two *shown* means, so it adds
no information to them. ``n`` is the number of respondents behind the number (for a response rate,
the number invited). Rounding is numpy's (half to even).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from toolkit._suppress import protect
from toolkit.scoring import score
from toolkit.survey import Survey

__all__ = [
    "CADENCE_CUT_KINDS",
    "DEFAULT_POLICY",
    "DISTRIBUTION_ROLES",
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
_KINDS = ("organisation", "division", "department", "team")
#: The unit kinds where the cadence cuts (``cadence=<code>``) are published.
CADENCE_CUT_KINDS = ("organisation", "division")
#: The roles of the categorical items whose answer distributions are published (cut ``all``).
DISTRIBUTION_ROLES = ("cadence", "meeting_length")


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


# --------------------------------------------------------------------------- units


class _Tree:
    """The units table as arrays: parent index, depth, path from the root."""

    def __init__(self, units: pd.DataFrame):
        if not isinstance(units, pd.DataFrame):
            raise TypeError(f"units must be a DataFrame, got {type(units).__name__}")
        missing = [c for c in ("unit", "parent", "kind") if c not in units.columns]
        if missing:
            raise ValueError(f"units lacks the columns {missing}; it needs unit, parent, kind")
        names = units["unit"].astype("str").to_numpy(dtype=object)
        if pd.isna(names).any() or len(set(names)) != len(names):
            raise ValueError("units.unit must be unique and not missing")
        kinds = units["kind"].astype("str").to_numpy(dtype=object)
        bad = sorted({k for k in kinds if k not in _KINDS}, key=str)
        if bad:
            raise ValueError(f"units.kind must be one of {', '.join(_KINDS)}; got {bad}")
        index = {u: i for i, u in enumerate(names)}
        parents = units["parent"].astype("str").to_numpy(dtype=object)
        parent = np.full(len(names), -1, dtype=np.int64)
        for i, p in enumerate(parents):
            if pd.isna(p) or p == "":
                continue
            if p not in index:
                raise ValueError(f"units: parent {p!r} of unit {names[i]!r} is not a unit")
            parent[i] = index[p]
        if (parent < 0).sum() != 1:
            raise ValueError(f"units must have exactly one root (no parent); found {(parent < 0).sum()}")
        depth = np.full(len(names), -1, dtype=np.int64)
        depth[parent < 0] = 0
        for _ in range(len(names)):
            todo = depth < 0
            if not todo.any():
                break
            ready = todo & (depth[np.maximum(parent, 0)] >= 0)
            if not ready.any():
                raise ValueError("units: the parent links form a cycle")
            depth[ready] = depth[parent[ready]] + 1
        self.names, self.kinds, self.parent, self.depth, self.index = names, kinds, parent, depth, index
        self.size = len(names)
        # path[u, j]: the ancestor of u at depth j (u itself at its depth), -1 below
        path = np.full((self.size, depth.max() + 1), -1, dtype=np.int64)
        cur = np.arange(self.size)
        for _ in range(depth.max() + 1):
            ok = cur >= 0
            path[np.flatnonzero(ok), depth[cur[ok]]] = cur[ok]
            cur = np.where(ok, parent[np.maximum(cur, 0)], -1)
            cur[~ok] = -1
        self.path = path

    def rollup(self, team_level: np.ndarray) -> np.ndarray:
        """Sum an array indexed by unit on axis 0 from every unit into its ancestors."""
        out = team_level.copy()
        for d in range(self.depth.max(), 0, -1):
            at = np.flatnonzero(self.depth == d)
            np.add.at(out, self.parent[at], out[at])
        return out


# --------------------------------------------------------------------------- release


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
        ``False`` skips complementary suppression. **Unsafe**: it exists only so that the
        privacy tests can show the adversary finds the leak; never publish such a release.
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
    of :math:`n = |G|` respondents, ``<construct>:mean`` is :math:`\bar s_G = \frac1n\sum_{i\in G}
    s_i`, published when :math:`n \ge` ``min_scores``; ``<construct>:favourable`` is
    :math:`100\,\sum_i f_i m_i / \sum_i m_i` (as :func:`toolkit.summarise`); ``<construct>:change``
    is the shown mean minus the previous wave's shown mean, published when both are and the
    respondents behind them differ by none or at least ``min_scores``. Item measures (cut ``all``
    only): ``<item>:mean`` (raw codes, not-applicable codes excluded; ``min_scores``) and
    ``<item>:share:<code>`` for every code, not-applicable ones included, of those who answered
    (``min_distribution``); the same for the items of roles ``cadence`` and ``meeting_length``
    (:data:`DISTRIBUTION_ROLES`), every code, of those who answered. Cadence cuts ``cadence=<code>``
    (construct measures and ``responses``) exist besides the demographic cuts, at the organisation and
    the divisions only, so that the reports can compare a team with the teams of the same cadence;
    every audience that sees such a unit sees them (a manager sees the organisation's).
    ``responses`` counts respondents (``min_scores``); ``response_rate`` is
    :math:`100\,\text{responses}/\text{invited}` for cut ``all`` when at least ``min_invited`` were
    invited. Comments are not numbers: :func:`toolkit.release_comments` releases them, under
    ``min_comments``.
    Checked by the integer-programming adversary of ``tests/privacy``.

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
    tree = _Tree(units)
    if {"wave", "team", "respondent"} <= set(responses.columns):  # sums in one order: same rounding
        responses = responses.sort_values(["wave", "team", "respondent"], kind="stable", ignore_index=True)
    cells = _Cells(responses, survey, tree, pol, complementary)
    rows = cells.analyst_rows()
    if invited is not None:
        rows = pd.concat([rows, cells.rate_rows(invited)], ignore_index=True)
    return _audiences(rows, tree, cells, audiences)


class _Cells:
    """Counts and sums per (wave, family, unit, cut), their suppression, and the analyst rows."""

    def __init__(self, responses, survey, tree, pol, complementary):
        for col in ("respondent", "wave", "team"):
            if col not in responses.columns:
                raise ValueError(f"responses has no column {col!r}")
        self.tree, self.pol, self.survey, self.complementary = tree, pol, survey, complementary
        self._responses = responses
        team_names = responses["team"].astype("str").to_numpy(dtype=object)
        tu = np.array([tree.index.get(t, -1) for t in pd.unique(team_names)])
        lookup = dict(zip(pd.unique(team_names), tu, strict=True))
        self.team = np.array([lookup[t] for t in team_names], dtype=np.int64) if len(team_names) else tu
        unknown = sorted({t for t, u in lookup.items() if u < 0 or tree.kinds[u] != "team"}, key=str)
        if unknown:
            raise ValueError(f"responses name teams that are not team units of units: {unknown[:5]}")
        wave_text = responses["wave"].astype("str").to_numpy(dtype=object)
        self.waves = sorted(pd.unique(wave_text))
        self.wave = np.searchsorted(np.array(self.waves, dtype=object), wave_text)
        self.respondent = responses["respondent"].astype("str").to_numpy(dtype=object)
        # cuts: column 0 = all, then per demographic item (and the cadence item) its codes and a
        # missing column; cut_where[j]: the units where the cuts of cut item j are released. The
        # suppression pattern is computed as if every cut were released at every unit (the
        # adversary knows who reports which cadence), and the release keeps a subset of it.
        self.cut_names, self.cut_of, self.cut_item, self.cut_where = ["all"], [], [], []
        self.missing_cols = []
        cadence_items = [it for it in survey.items_with_role("cadence") if it.id in responses.columns]
        for item in [*survey.items_with_role("demographic"), *cadence_items]:
            codes = list(survey.scales[item.scale].codes)
            if item.id not in responses.columns:
                raise ValueError(f"responses has no column {item.id!r} (a demographic item)")
            self.cut_where.append(
                np.isin(tree.kinds, CADENCE_CUT_KINDS) if item.role == "cadence" else np.ones(tree.size, bool)
            )
            col = responses[item.id].astype("object")
            known = col.isna() | col.astype("str").isin([str(c) for c in codes])
            if not known.all():
                raise ValueError(f"column {item.id!r} holds {col[~known].iloc[0]!r}, not a code of {codes}")
            code = pd.Categorical(col.astype("str"), categories=[str(c) for c in codes]).codes
            base = len(self.cut_names)
            self.cut_names += [f"{item.id}={c}" for c in codes] + [f"{item.id}=<missing>"]
            self.cut_item += [(item.id, base, len(codes))]
            self.missing_cols.append(base + len(codes))
            self.cut_of.append(np.where(code >= 0, base + code, base + len(codes)))
        self.C = len(self.cut_names)
        member = (
            np.column_stack([np.zeros(len(responses), np.int64), *self.cut_of])
            if self.cut_of
            else (np.zeros((len(responses), 1), np.int64))
        )
        self.member = member  # [R, 1 + n_cut_items] cut columns of each response
        sc = score(responses, survey)
        self.constructs = list(survey.constructs)
        K = len(self.constructs)
        R = len(responses)
        s = sc["score"].to_numpy(dtype=np.float64, na_value=np.nan).reshape(R, K)
        f = sc["favourable"].to_numpy(dtype=np.float64, na_value=np.nan).reshape(R, K)
        m = sc["n_items"].to_numpy(dtype=np.float64).reshape(R, K)
        self.scored = ~np.isnan(s)
        fm_ok = self.scored & ~np.isnan(f)
        # families: 0 = respondents, 1..K = constructs
        valid = np.column_stack([np.ones(R, bool), self.scored])
        vals = {
            "n": valid.astype(np.float64),
            "sum": np.column_stack([np.zeros(R), np.where(self.scored, s, 0.0)]),
            "fm": np.column_stack([np.zeros(R), np.where(fm_ok, f * m, 0.0)]),
            "m": np.column_stack([np.zeros(R), np.where(fm_ok, m, 0.0)]),
        }
        self.F = K + 1
        W, U, C, F = len(self.waves), tree.size, self.C, self.F
        self.L = W * F
        agg = {k: np.zeros((U, self.L, C)) for k in vals}
        lay = self.wave[:, None] * F + np.arange(F)[None, :]  # [R, F]
        for j in range(member.shape[1]):
            flat = ((self.team[:, None] * self.L + lay) * C + member[:, j][:, None]).ravel()
            for k, v in vals.items():
                agg[k] += np.bincount(flat, weights=v.ravel(), minlength=U * self.L * C).reshape(U, self.L, C)
        self.agg = {k: tree.rollup(v) for k, v in agg.items()}
        self.n = np.rint(self.agg["n"]).astype(np.int64)  # [U, L, C]
        self.hidden = self._suppress_cuts(responses)

    # ------------------------------------------------------------------ suppression of cut cells

    def _suppress_cuts(self, responses) -> np.ndarray:
        tree, C, L, U = self.tree, self.C, self.L, self.tree.size
        T = self.pol["min_scores"]
        n = self.n.ravel()
        hidden = (n < T).reshape(U, L, C)
        hidden[:, :, self.missing_cols] = True
        soft = np.zeros((U, L, C), bool)  # not released, but derivable when large enough
        prefer = np.zeros((U, L, C), bool)  # released cells of such items: hidden first
        for (_, base, k), where in zip(self.cut_item, self.cut_where, strict=True):
            soft[np.ix_(~where, np.arange(L), np.arange(base, base + k))] = True
            if not where.all():
                prefer[np.ix_(where, np.arange(L), np.arange(base, base + k))] = True
        soft &= ~hidden
        hidden |= soft
        hidden, soft, prefer = hidden.ravel(), soft.ravel(), prefer.ravel()
        if not self.complementary:
            return hidden.reshape(U, L, C)

        def cell(u, lyr, c):
            return (u * L + lyr) * C + c

        totals, mg, mc = [], [], []
        ngroups = 0
        lyr = np.arange(L)
        pub_cols = np.array([c for c in range(C) if c not in self.missing_cols])
        # hierarchy: for each parent, layer, published column: parent = sum of children
        kids = np.flatnonzero(tree.parent >= 0)
        parents = np.unique(tree.parent[kids])
        gid = {p: i for i, p in enumerate(parents)}
        P = len(parents)
        # group index g = (pidx * L + l) * len(pub_cols) + ci
        nc = len(pub_cols)
        pidx = np.array([gid[p] for p in tree.parent[kids]], dtype=np.int64)
        kk, ll, cc = np.meshgrid(np.arange(len(kids)), lyr, np.arange(nc), indexing="ij")
        kk, ll, cc = kk.ravel(), ll.ravel(), cc.ravel()
        mg.append((pidx[kk] * L + ll) * nc + cc)
        mc.append(cell(kids[kk], ll, pub_cols[cc]))
        pp, ll2, cc2 = np.meshgrid(parents, lyr, np.arange(nc), indexing="ij")
        totals.append(cell(pp.ravel(), ll2.ravel(), pub_cols[cc2.ravel()]))
        ngroups = P * L * nc
        # cuts: for each unit, layer, cut item: all = sum of its codes and its missing column
        for _, base, k in self.cut_item:
            uu, ll = np.meshgrid(np.arange(U), lyr, indexing="ij")
            uu, ll = uu.ravel(), ll.ravel()
            g = ngroups + np.arange(len(uu))
            totals.append(cell(uu, ll, 0))
            for c in range(base, base + k + 1):
                mg.append(g)
                mc.append(cell(uu, ll, c))
            ngroups += len(uu)
        # nested cuts of two items in the same unit with a small difference: pseudo cells
        extra_n = []
        next_cell = U * L * C
        R_team, R_wave = self.team, self.wave
        fam_valid = np.column_stack([np.ones(len(R_team), bool), self.scored])
        items = self.cut_item
        for a in range(len(items)):
            for b in range(len(items)):
                if a == b:
                    continue
                _, base_a, ka = items[a]
                _, base_b, kb = items[b]
                ca, cb = self.cut_of[a] - base_a, self.cut_of[b] - base_b
                both = (ca < ka) & (cb < kb)
                cnt = np.zeros((U, L, ka, kb))
                for fam in range(self.F):
                    sel = both & fam_valid[:, fam]
                    flat = (((R_team[sel] * L + R_wave[sel] * self.F + fam) * ka + ca[sel]) * kb) + cb[sel]
                    cnt += np.bincount(flat, minlength=U * L * ka * kb).reshape(U, L, ka, kb)
                cnt = tree.rollup(cnt)
                na = self.n[:, :, base_a : base_a + ka][:, :, :, None]
                nb = self.n[:, :, base_b : base_b + kb][:, :, None, :]
                diff = nb - na
                nested = (cnt == na) & (na > 0) & (diff > 0) & (diff < self.pol["min_scores"])
                uu, ll, ia, ib = np.nonzero(nested)
                if len(uu) == 0:
                    continue
                g = ngroups + np.arange(len(uu))
                pseudo = next_cell + np.arange(len(uu))
                totals.append(cell(uu, ll, base_b + ib))
                mg += [g, g]
                mc += [cell(uu, ll, base_a + ia), pseudo]
                extra_n.append(diff[uu, ll, ia, ib])
                next_cell += len(uu)
                ngroups += len(uu)
        if extra_n:
            extra = np.concatenate(extra_n)
            n = np.concatenate([n, extra])
            hidden = np.concatenate([hidden, np.ones(len(extra), bool)])
            soft = np.concatenate([soft, np.zeros(len(extra), bool)])
            prefer = np.concatenate([prefer, np.zeros(len(extra), bool)])
        hidden = protect(
            n,
            hidden,
            np.concatenate(totals),
            np.concatenate(mg),
            np.concatenate(mc),
            T,
            soft=soft,
            prefer=prefer,
        )
        return hidden[: U * L * C].reshape(U, L, C)

    # ------------------------------------------------------------------ rows

    def analyst_rows(self) -> pd.DataFrame:
        U, L, C, F = self.tree.size, self.L, self.C, self.F
        md, pd_ = self.pol["mean_decimals"], self.pol["percent_decimals"]
        pub = ~self.hidden & (self.n > 0)
        for (_, base, k), where in zip(self.cut_item, self.cut_where, strict=True):
            pub[np.ix_(~where, np.arange(L), np.arange(base, base + k + 1))] = False
        uu, ll, cc = np.nonzero(pub)
        ww, ff = ll // F, ll % F
        n = self.n[uu, ll, cc]
        frames = []
        measures: list[str] = ["responses"]
        is_resp = ff == 0
        frames.append(
            (
                uu[is_resp],
                ww[is_resp],
                cc[is_resp],
                np.zeros(is_resp.sum(), np.int64),
                n[is_resp].astype(np.float64),
                n[is_resp],
            )
        )
        k = ~is_resp
        u, w, c, f, nn, lyr = uu[k], ww[k], cc[k], ff[k], n[k], ll[k]
        mean = np.round(self.agg["sum"][u, lyr, c] / nn, md)
        shown = np.full((U, L, C), np.nan)
        shown[u, lyr, c] = mean
        m = self.agg["m"][u, lyr, c]
        with np.errstate(invalid="ignore", divide="ignore"):
            fav = np.round(100 * self.agg["fm"][u, lyr, c] / m, pd_)
        base = len(measures)
        measures += [f"{x}:{kind}" for x in self.constructs for kind in ("mean", "favourable", "change")]
        frames.append((u, w, c, base + (f - 1) * 3, mean, nn))
        ok = m > 0
        frames.append((u[ok], w[ok], c[ok], base + (f[ok] - 1) * 3 + 1, fav[ok], nn[ok]))
        # change: both shown; membership equal or differing by at least the threshold
        later = w > 0
        if later.any():
            u2, w2, c2, f2, n2 = u[later], w[later], c[later], f[later], nn[later]
            prev = shown[u2, (w2 - 1) * F + f2, c2]
            same = self._overlap(u2, w2, c2, f2)
            n_prev = self.n[u2, (w2 - 1) * F + f2, c2]
            changed = n2 + n_prev - 2 * same
            okc = ~np.isnan(prev) & ((changed == 0) | (changed >= self.pol["min_scores"]))
            cur = shown[u2, w2 * F + f2, c2]
            frames.append(
                (
                    u2[okc],
                    w2[okc],
                    c2[okc],
                    base + (f2[okc] - 1) * 3 + 2,
                    np.round(cur[okc] - prev[okc], md),
                    n2[okc],
                )
            )
        item_frames, item_measures = self._item_rows(len(measures))
        measures += item_measures
        frames += item_frames
        item_frames, item_measures = self._categorical_rows(len(measures))
        measures += item_measures
        frames += item_frames
        cols = [np.concatenate([fr[i] for fr in frames]) for i in range(6)]
        order = np.lexsort((cols[3], cols[2], cols[1], cols[0]))
        self.measures = measures
        return pd.DataFrame(
            {
                "unit": cols[0][order],
                "wave": cols[1][order],
                "cut": cols[2][order],
                "measure": cols[3][order],
                "value": cols[4][order].astype(np.float64),
                "n": cols[5][order].astype(np.int64),
            }
        )

    def _overlap(self, u, w, c, f) -> np.ndarray:
        """Respondents in the cell in both wave w and w-1 (scored in both, for a construct)."""
        keys = pd.DataFrame({"r": self.respondent, "w": self.wave, "i": np.arange(len(self.wave))})
        cur = keys.merge(keys.assign(w=keys["w"] + 1), on=["r", "w"], suffixes=("", "_p"))
        i, ip = cur["i"].to_numpy(), cur["i_p"].to_numpy()
        path, L, C, F, U = self.tree.path, self.L, self.C, self.F, self.tree.size
        counts = np.zeros((U, L, C))
        for j in range(self.member.shape[1]):
            same_cut = self.member[i, j] == self.member[ip, j]
            for fam in range(1, F):
                ok = same_cut & self.scored[i, fam - 1] & self.scored[ip, fam - 1]
                pa, pb = path[self.team[i[ok]]], path[self.team[ip[ok]]]
                common = (pa == pb) & (pa >= 0)
                rr, dd = np.nonzero(common)
                units = pa[rr, dd]
                lyr = self.wave[i[ok]][rr] * F + fam
                cc = self.member[i[ok][rr], j]
                np.add.at(counts, (units, lyr, cc), 1)
        return np.rint(counts[u, w * F + f, c]).astype(np.int64)

    def _item_rows(self, base: int):
        survey, tree, md, pd_ = (
            self.survey,
            self.tree,
            self.pol["mean_decimals"],
            self.pol["percent_decimals"],
        )
        W, U = len(self.waves), tree.size
        frames, measures = [], []
        for con in survey.constructs.values():
            for item_id in con.items:
                scale = survey.scale_of(item_id)
                raw = self._raw(item_id)
                codes = list(scale.allowed)
                sub = np.isin(raw, np.asarray(scale.codes, dtype=np.float64))
                ans = ~np.isnan(raw)
                cnt = np.zeros((U, W, len(codes) + 2))
                idx = self.team * W + self.wave
                cnt[:, :, 0] = np.bincount(idx, weights=sub, minlength=U * W).reshape(U, W)
                cnt[:, :, 1] = np.bincount(idx, weights=np.where(sub, raw, 0.0), minlength=U * W).reshape(
                    U, W
                )
                for j, code in enumerate(codes):
                    cnt[:, :, 2 + j] = np.bincount(idx, weights=raw == code, minlength=U * W).reshape(U, W)
                cnt = tree.rollup(cnt)
                n_mean = np.rint(cnt[:, :, 0]).astype(np.int64)
                n_dist = np.rint(cnt[:, :, 2:].sum(2)).astype(np.int64)
                del ans
                mi = base + len(measures)
                measures.append(f"{item_id}:mean")
                shares = [f"{item_id}:share:{code}" for code in codes]
                measures += shares
                for nn, T, is_mean in (
                    (n_mean, self.pol["min_scores"], True),
                    (n_dist, self.pol["min_distribution"], False),
                ):
                    hidden = (nn < T).ravel()
                    if self.complementary:
                        hidden = self._protect_tree(nn, hidden, T)
                    uu, ww = np.nonzero(~hidden.reshape(U, W) & (nn > 0))
                    n = nn[uu, ww]
                    if is_mean:
                        frames.append(
                            (
                                uu,
                                ww,
                                np.zeros_like(uu),
                                np.full(len(uu), mi),
                                np.round(cnt[uu, ww, 1] / n, md),
                                n,
                            )
                        )
                    else:
                        for j in range(len(codes)):
                            frames.append(
                                (
                                    uu,
                                    ww,
                                    np.zeros_like(uu),
                                    np.full(len(uu), mi + 1 + j),
                                    np.round(100 * cnt[uu, ww, 2 + j] / n, pd_),
                                    n,
                                )
                            )
        return frames, measures

    def _categorical_rows(self, base: int):
        """``<item>:share:<code>`` of the cadence and meeting-length items, cut ``all``."""
        tree, W, U = self.tree, len(self.waves), self.tree.size
        T, pd_ = self.pol["min_distribution"], self.pol["percent_decimals"]
        frames, measures = [], []
        for role in DISTRIBUTION_ROLES:
            for item in self.survey.items_with_role(role):
                if item.id not in self._responses.columns:
                    continue
                codes = list(self.survey.scales[item.scale].allowed)
                col = self._responses[item.id].astype("object")
                text = col.where(col.isna(), col.astype("str")).to_numpy(dtype=object)
                idx = self.team * W + self.wave
                cnt = np.zeros((U, W, len(codes)))
                for j, code in enumerate(codes):
                    hit = (text == str(code)).astype(np.float64)
                    cnt[:, :, j] = np.bincount(idx, weights=hit, minlength=U * W).reshape(U, W)
                cnt = tree.rollup(cnt)
                nn = np.rint(cnt.sum(2)).astype(np.int64)  # those who answered with a code
                mi = base + len(measures)
                measures += [f"{item.id}:share:{code}" for code in codes]
                hidden = (nn < T).ravel()
                if self.complementary:
                    hidden = self._protect_tree(nn, hidden, T)
                uu, ww = np.nonzero(~hidden.reshape(U, W) & (nn > 0))
                n = nn[uu, ww]
                for j in range(len(codes)):
                    frames.append(
                        (
                            uu,
                            ww,
                            np.zeros_like(uu),
                            np.full(len(uu), mi + j),
                            np.round(100 * cnt[uu, ww, j] / n, pd_),
                            n,
                        )
                    )
        return frames, measures

    def _protect_tree(self, nn: np.ndarray, hidden: np.ndarray, T: int) -> np.ndarray:
        """Complementary suppression over the unit tree only, cells (unit, wave)."""
        tree, W = self.tree, nn.shape[1]
        kids = np.flatnonzero(tree.parent >= 0)
        parents, pidx = np.unique(tree.parent[kids], return_inverse=True)
        kk, ww = np.meshgrid(np.arange(len(kids)), np.arange(W), indexing="ij")
        pp, ww2 = np.meshgrid(parents, np.arange(W), indexing="ij")
        return protect(
            nn.ravel(),
            hidden,
            (pp * W + ww2).ravel(),
            (pidx[kk] * W + ww).ravel(),
            (kids[kk] * W + ww).ravel(),
            T,
        )

    def _raw(self, item_id: str) -> np.ndarray:
        return pd.to_numeric(self._responses[item_id], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )

    def rate_rows(self, invited: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in ("team", "wave", "invited") if c not in invited.columns]
        if missing:
            raise ValueError(f"invited lacks the columns {missing}; it needs team, wave, invited")
        tree, W = self.tree, len(self.waves)
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
        resp = self.n[:, np.arange(W) * self.F, 0]
        uu, ww = np.nonzero(inv >= self.pol["min_invited"])
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


def _audiences(rows: pd.DataFrame, tree: _Tree, cells: _Cells, keep: Iterable[str] | None) -> pd.DataFrame:
    """Every audience's rows: the analyst's rows of the units it may see."""
    unit, wave, cut, measure = (rows[c].to_numpy() for c in ("unit", "wave", "cut", "measure"))
    order = np.lexsort((measure, cut, wave, unit))
    unit = unit[order]
    U = tree.size
    start = np.searchsorted(unit, np.arange(U), side="left")
    end = np.searchsorted(unit, np.arange(U), side="right")
    teams = np.flatnonzero(tree.kinds == "team")
    heads = np.flatnonzero(tree.kinds != "team")
    names = [
        "analyst",
        *(f"manager:{tree.names[t]}" for t in teams),
        *(f"leader:{tree.names[h]}" for h in heads),
    ]
    aud_of_team = np.full(U, -1)
    aud_of_team[teams] = 1 + np.arange(len(teams))
    aud_of_head = np.full(U, -1)
    aud_of_head[heads] = 1 + len(teams) + np.arange(len(heads))
    path = tree.path
    # analyst: every unit
    pa, pu = [np.zeros(U, np.int64)], [np.arange(U)]
    # managers: their team's path from the root
    tp = path[teams]
    r, j = np.nonzero(tp >= 0)
    pa.append(aud_of_team[teams[r]])
    pu.append(tp[r, j])
    # leaders: every unit below (and including) their unit
    r, j = np.nonzero(path >= 0)
    anc = path[r, j]
    head = aud_of_head[anc] >= 0
    pa.append(aud_of_head[anc[head]])
    pu.append(r[head])
    pa, pu = np.concatenate(pa), np.concatenate(pu)
    if keep is not None:
        keep = [keep] if isinstance(keep, str) else list(keep)
        code = {a: i for i, a in enumerate(names)}
        bad = [a for a in keep if a not in code]
        if bad:
            raise ValueError(
                f"audiences must be analyst, manager:<team> or leader:<unit> of units; got {bad[:5]}"
            )
        wanted = np.zeros(len(names), bool)
        wanted[[code[a] for a in keep]] = True
        sel = wanted[pa]
        pa, pu = pa[sel], pu[sel]
    o = np.lexsort((pu, pa))
    pa, pu = pa[o], pu[o]
    lengths = end[pu] - start[pu]
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    idx = order[np.repeat(start[pu] - offsets, lengths) + np.arange(total)]
    return pd.DataFrame(
        {
            "audience": pd.Categorical.from_codes(np.repeat(pa, lengths), categories=names),
            "wave": pd.Categorical.from_codes(wave[idx], categories=list(cells.waves)),
            "unit": pd.Categorical.from_codes(rows["unit"].to_numpy()[idx], categories=list(tree.names)),
            "cut": pd.Categorical.from_codes(cut[idx], categories=cells.cut_names),
            "measure": pd.Categorical.from_codes(measure[idx], categories=cells.measures),
            "value": rows["value"].to_numpy()[idx],
            "n": rows["n"].to_numpy()[idx],
        }
    )
