r"""An integer-programming adversary against the release table.

It takes everything one audience can see (its rows of every wave asked for), the units table, and
who answered in which team with which demographics and reported 1:1 cadence (and, to be strong, who
has a score), so it uses the means of the demographic and the cadence cuts alike, and models
each respondent's score on one construct in each wave as an unknown on the scale's grid: with
:math:`k` items of which at least :math:`m` must be valid, the score is a multiple of :math:`1/L`,
:math:`L = \operatorname{lcm}(m, \dots, k)`, so :math:`t_i = L s_i` is an integer in
:math:`[L \cdot lo, L \cdot hi]`. Every published ``<construct>:mean`` of a group :math:`G` with
:math:`n` respondents, shown as :math:`v` rounded to :math:`d` decimals, gives

.. math:: L n (v - h) \le \sum_{i \in G} t_i \le L n (v + h), \qquad h = \tfrac12 10^{-d}.

(``<construct>:change`` rows are differences of shown means and add nothing.) The release's mean
pools the valid answers, so the constraint weighs each respondent by their number of valid items.
For every respondent it minimises and maximises :math:`t_i` with :func:`scipy.optimize.milp`. A
respondent is *singled
out* when their feasible range is narrower than one scale point and differs from the range of
another member of the smallest published group that contains them; a narrow range shared by the
whole group is a *group disclosure* (a unanimous or near-unanimous group), counted, not failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from toolkit.stats.scoring import score


@dataclass
class Attack:
    """What the adversary learnt about one construct for one audience."""

    audience: str
    construct: str
    respondents: int
    constrained: int
    singled_out: list = field(default_factory=list)  # (wave, respondent, low, high)
    group_disclosures: int = 0  # respondents whose narrow range their whole smallest group shares
    groups_disclosed: int = 0
    solves: int = 0
    timeouts: int = 0

    def summary(self) -> str:
        return (
            f"{self.audience} {self.construct}: {self.respondents} respondents, {self.constrained} in a "
            f"published group, singled out {len(self.singled_out)}, group disclosures "
            f"{self.group_disclosures} in {self.groups_disclosed} groups ({self.solves} MILP solves)"
        )


def _subtree_teams(units: pd.DataFrame) -> dict[str, set[str]]:
    parent = dict(zip(units["unit"].astype(str), units["parent"].astype("str"), strict=True))
    kind = dict(zip(units["unit"].astype(str), units["kind"].astype(str), strict=True))
    out: dict[str, set[str]] = {u: set() for u in parent}
    for u in parent:
        if kind[u] != "team":
            continue
        cur = u
        while isinstance(cur, str) and cur in out:
            out[cur].add(u)
            cur = parent[cur]
    return out


def attack(
    release: pd.DataFrame,
    audience: str,
    responses: pd.DataFrame,
    survey,
    units: pd.DataFrame,
    construct: str,
    *,
    waves=None,
    decimals: int = 2,
    time_limit: float = 5.0,
) -> Attack:
    """Solve for every respondent's score range on ``construct`` from ``audience``'s rows."""
    con = survey.constructs[construct]
    scale = survey.scale_of(con.items[0])
    lo, hi = min(scale.codes), max(scale.codes)
    L = math.lcm(*range(max(con.min_valid, 1), len(con.items) + 1))
    rows = release[(release["audience"] == audience) & (release["measure"] == f"{construct}:mean")]
    if waves is not None:
        rows = rows[rows["wave"].astype(str).isin(list(waves))]
        responses = responses[responses["wave"].astype(str).isin(list(waves))]
    responses = responses.reset_index(drop=True)
    sc = score(responses, survey)
    sc = sc[sc["construct"] == construct].reset_index(drop=True)
    has = sc["score"].notna().to_numpy()
    m = sc["n_items"].to_numpy(dtype=np.float64)
    team = responses["team"].astype(str).to_numpy()
    wave = responses["wave"].astype(str).to_numpy()
    demo = {  # the adversary knows each respondent's demographics and reported cadence
        it.id: responses[it.id].astype("str").to_numpy(dtype=object)
        for it in (*survey.items_with_role("demographic"), *survey.items_with_role("cadence"))
        if it.id in responses.columns
    }
    teams_of = _subtree_teams(units)
    h = 0.5 * 10.0 ** (-decimals)
    groups, lbs, ubs = [], [], []
    for w, u, c, v, n in rows[["wave", "unit", "cut", "value", "n"]].astype(object).itertuples(index=False):
        mask = has & (wave == str(w)) & np.isin(team, list(teams_of[str(u)]))
        if c != "all":
            item, code = str(c).split("=", 1)
            mask &= demo[item] == code
        idx = np.flatnonzero(mask)
        if len(idx) != int(n):
            raise AssertionError(f"group {w} {u} {c}: {len(idx)} scored respondents, release says n={n}")
        groups.append(idx)
        total = float(m[idx].sum())  # the mean pools the valid answers: sum(m_i s_i) / sum(m_i)
        lbs.append(L * total * (float(v) - h) - 1e-7)
        ubs.append(L * total * (float(v) + h) + 1e-7)
    res = Attack(audience, construct, int(has.sum()), 0)
    if not groups:
        return res
    R = len(responses)
    data = np.concatenate([m[g] for g in groups])
    ri = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
    A = csr_matrix((data, (ri, np.concatenate(groups))), shape=(len(groups), R))
    cons = LinearConstraint(A, np.array(lbs, float), np.array(ubs, float))
    bounds = Bounds(np.full(R, lo * L, float), np.full(R, hi * L, float))
    integ = np.ones(R)
    opts = {"time_limit": time_limit, "presolve": True}
    in_group = np.zeros(R, bool)
    in_group[np.concatenate(groups)] = True
    res.constrained = int(in_group.sum())
    low = np.full(R, lo * L, float)
    high = np.full(R, hi * L, float)
    seen_lo = np.full(R, np.inf)
    seen_hi = np.full(R, -np.inf)

    def solve(cvec):
        r = milp(cvec, integrality=integ, bounds=bounds, constraints=cons, options=opts)
        res.solves += 1
        if r.status != 0 or r.x is None:
            res.timeouts += 1
            if r.status == 2:
                raise AssertionError("the published rows are inconsistent with the responses (infeasible)")
            return None
        x = np.rint(r.x)
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return x

    rng = np.random.default_rng(0)
    for _ in range(3):  # a few random objectives spread the observed solutions cheaply
        solve(rng.normal(size=R) * in_group)
    narrow = np.zeros(R, bool)
    for i in np.flatnonzero(in_group):
        if seen_hi[i] - seen_lo[i] >= L:
            continue
        e = np.zeros(R)
        e[i] = 1.0
        x = solve(e)
        if x is not None:
            low[i] = x[i]
        if seen_hi[i] - seen_lo[i] >= L:
            continue
        x = solve(-e)
        if x is not None:
            high[i] = x[i]
        narrow[i] = high[i] - low[i] < L
    # singled out, or a group disclosure
    sizes = np.array([len(g) for g in groups])
    disclosed_groups = set()
    for i in np.flatnonzero(narrow):
        containing = [k for k, g in enumerate(groups) if i in set(g.tolist())]
        k = min(containing, key=lambda j: (sizes[j], j))
        others = [j for j in groups[k] if j != i]
        same = all(narrow[j] and low[j] == low[i] and high[j] == high[i] for j in others)
        if same:
            res.group_disclosures += 1
            disclosed_groups.add(k)
        else:
            res.singled_out.append((wave[i], str(responses["respondent"].iloc[i]), low[i] / L, high[i] / L))
    res.groups_disclosed = len(disclosed_groups)
    return res
