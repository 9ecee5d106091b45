r"""An integer-programming adversary against the release table (:func:`toolkit.release`).

The adversary sees everything published to the audiences it is given (a manager, a leader, or
all managers of a department together with its leader), for one or several waves, and solves
for every respondent's answers. It is the test of the privacy rule of ``DESIGN.md`` section 7:
given everything an audience (or the audiences of one department together) can see, no
respondent's construct score or answer may be pinned down.

What the attacker knows
-----------------------
- the units table (who reports to which unit);
- every respondent's wave, team, demographic answers (items of role ``demographic``) and reported
  1:1 cadence (role ``cadence``): so every published group's membership and size is known, and
  the cadence shares and cadence cuts are sums over known sets;
- for every item, whether each respondent gave a valid answer, answered "does not apply" (a
  not-applicable code of the scale), or left it blank (so who has a construct score, with how
  many valid items, is known);
- every row of the release that the audiences see, as shown (rounded).

What the attacker does not know, and solves for: the value of every valid answer to the items
of the constructs, and every answer to the meeting-length item (role ``meeting_length``).

The model
---------
Unknowns are one binary :math:`x_{rjc}` per respondent :math:`r`, item :math:`j` they answered
validly, and code :math:`c` of the item's scale, with :math:`\sum_c x_{rjc} = 1`. Every release
row is a linear constraint within the rounding interval of the decimals shown (half a unit of
the last decimal either side, widened by :math:`10^{-9}` relative so that the true answers are
always feasible; numpy rounds half to even, so both ends are included):

- ``<construct>:mean`` of a group :math:`G` (the unit's respondents in the wave and cut who
  have a score): the release's *pooled* mean, every valid answer counted once,
  :math:`\sum_{r \in G} \sum_j \sum_c \kappa_{jc} x_{rjc} / M` with :math:`M = \sum_{r\in G} k_r`
  the group's number of valid answers (:math:`k_r` the respondent's valid items, "does not
  apply" excluded) and :math:`\kappa_{jc}` the keyed value (reverse-keyed items reversed); the
  bounds are :math:`M (v \mp h)`, rounded inwards to integers (``mean="scores"`` models the old
  mean of the respondents' scores instead, for the tests' weakened releases);
- ``<construct>:favourable``: :math:`100 \sum_{r,j} \sum_{c\ \text{favourable}} x_{rjc} / M`,
  the favourable end being the low end for a ``better: lower`` construct;
- ``<construct>:change``: the difference of the two shown means. When both means are shown it
  is only checked; when one is shown it gives the other's shown value (a mean row); when neither,
  :math:`\bar s_w - \bar s_{w-1} \in [v - 3h, v + 3h]` (the change's and both means' rounding);
- ``<construct>:change_low`` / ``change_high``: the change :math:`\mp z
  \sqrt{\sigma^2_w / n_w + \sigma^2_{w-1} / n_{w-1}}`, with the organisation's variance
  components known to the attacker (computed here as the release computes them): an interval
  for the change, checked against the shown change, or a constraint on the difference of the
  means where they are not both shown;
- ``<construct>:eb_mean`` / ``eb_low`` / ``eb_high`` of a team: :math:`\hat\theta = \mu +
  \lambda (\bar y - \mu)` and :math:`\hat\theta \mp z\,se(n)`, affine in the mean fed in, with
  :math:`\mu, \operatorname{Var}\mu, \tau^2, \sigma^2` known to the attacker (the strongest
  assumption; the release exposes them through its estimate rows). Each row, inverted, is an
  interval for the mean fed in, which can be narrower than the mean's own rounding interval. The
  release feeds in the *shown* mean (``derived="shown"``): the interval must hold the shown mean
  (checked), and the true mean is within the mean's rounding of the interval (a constraint,
  never narrower than the mean row's). ``derived="exact"`` takes the rows as functions of the
  exact means (a weakened release in the tests, where the inversion does tighten the mean);
- ``<item>:mean``: the mean of the raw valid codes (not keyed), over the respondents with a score
  on the item's construct;
- ``<item>:share:<code>``: :math:`100\,\#\{c\} / \#\text{answered}` (not-applicable codes count
  as answered), over the construct's scored respondents; the meeting-length shares over everyone
  who answered; a not-applicable share, the cadence shares, ``responses`` and ``response_rate``
  involve known counts only and are checked.
- ``<construct>:weekly_vs_monthly`` (and ``_low``, ``_high``) is **not modelled**: it is a mixed
  model's regression coefficient, not linear in the answers, and a single organisation-level
  number per construct (published only for organisations of at least ``MODEL_MIN_TEAMS`` teams,
  at the root, when both cadence cuts are published). Such rows are counted in
  :attr:`Attack.skipped`.

All waves of the view are attacked together: respondents who answer in two waves (and joiners
and leavers) have one set of unknowns per wave, linked by every row that spans waves.

The measure kinds are the table :data:`MEASURES`; a measure the adversary does not know raises
:class:`UnknownMeasure`. The true answers are checked against every row first: a row they
violate, or an infeasible model, raises :class:`AdversaryError` naming the row (a bug in the
release or here).

Respondents with the same signature (wave, the set of published groups holding them, the
pattern of valid / not-applicable / blank answers) are exchangeable: they become one *class*
with integer counts :math:`y_{qjc} = \sum_{r \in q} x_{rjc} \in [0, |q|]` (exact, because every
constraint is a sum over whole classes). A class of one is an individual. For a class of several
members whose true scores lie within one scale point, one *representative* member gets binaries
:math:`z_{qjc} \le y_{qjc}`, so that a member's score range is modelled exactly; by
exchangeability each member's range holds the true score of every member.

Constructs never share a constraint (nor does meeting length), so each is attacked on its own;
within a construct, waves form one model wherever a row links them (a change or its interval
that is not just a check) and separate models otherwise, which is the same attack: without a
linking row, no constraint involves the answers of two waves.

Singled out
-----------
- *score*: respondent :math:`i`'s feasible construct-score range is narrower than one scale point,
  and in the smallest published group (of that construct and wave, in the view) holding :math:`i`
  some other member's feasible range is not inside :math:`i`'s range;
- *answer*: one of :math:`i`'s answers is pinned to one code, while some other member of the
  smallest published group holding :math:`i` for that item (its mean or shares, or the construct's
  mean) is not pinned to that same code (a member who answered "does not apply" or left it blank
  is not).

A narrow range or a pinned answer shared by the whole smallest group is a *group disclosure* (a
unanimous group): counted, not failed. So is one shared by the whole of any other published group
holding :math:`i` (a team of 6 that all answered 4, where :math:`i` is also in a cut of 5 managers
who did not): that group's own rows tell the same of every member (:func:`_attributed`). The
members of a class of several can at most be pinned together (all forced to their common true
code); each member is then one finding.

Solving
-------
Every quantity (a score's range, an answer's being pinned) is decided with a certificate or a
proof, cheapest first:

1. *Certificates without a solver.* Any integer solution shows achievable values (a score whose
   observed values span a scale point, or an answer seen with another code, is not disclosed).
   Starting from the true answers, :func:`_moves` tries every *shift* (one member's answer
   changed), every *swap* (two members' answers to an item exchanged) and pairs and triples of
   them whose effects on the tight rows cancel (matched by hashing the effects), each checked
   exactly; a walk then moves to a random feasible neighbour and repeats, around the undecided
   classes.
2. *Local searches* (:func:`scipy.optimize.milp`, HiGHS): a MILP over the classes of the groups
   holding the undecided ones, every other class at its true answers, pushes their scores up or
   down and their answers off their true codes (a node limit, not a time limit, keeps the attack
   independent of the machine). Its solutions are certificates, and start new walks.
3. *Proofs, one quantity at a time*: the LP relaxation of the rows of the small groups (at most
   :data:`_SMALL` respondents) and then of the whole model (a relaxation's narrow range, or a
   minimum above :math:`|q| - 1`, is already a proof), local searches aimed at that quantity, and
   only then exact MILP minima and maxima (of a small relaxation, then of the whole model, whose
   optima are achieved: the exact range). A narrow score's range is made exact the same way.

A proof that hits its time limit is recorded in :attr:`Attack.timeouts`, never read as safe.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix
from scipy.sparse import hstack as sparse_hstack

from toolkit.privacy.disclosure import MODEL_MIN_TEAMS, load_policy
from toolkit.stats.shrinkage import change_intervals, eb_estimates, variance_components

__all__ = ["MEASURES", "AdversaryError", "Attack", "Finding", "UnknownMeasure", "attack", "sample_release"]

_REL = 1e-9  # relative widening of every rounding interval
_EPS = 1e-6  # tolerance of LP-based proofs
_SMALL = (20, 100)  # groups of at most this many respondents form the first relaxations
_ROUND_CAPS = (15,)  # classes in the local searches of the first phase
_DECIDE_CAPS = (30, 90)  # classes in the local searches for one quantity
_WALK = (60, 8)  # steps of the walk of moves, and steps without progress before it stops
_BATCH = (90, 3)  # classes in a local search of all undecided classes together, and its rounds
_LOCAL_NODES = 300  # branch-and-bound nodes of a local search (a search for certificates, not a
# proof): a node limit, not a time limit, so that the attack does not depend on the machine


class AdversaryError(AssertionError):
    """The published rows contradict the true answers, or the model is infeasible."""


class UnknownMeasure(ValueError):
    """A release row has a measure the adversary cannot model (add it to :data:`MEASURES`)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One respondent whose construct score or answer the adversary pins down."""

    wave: str
    respondent: str
    team: str
    target: str  # construct id (kind "score") or item id (kind "answer")
    kind: str  # "score" or "answer"
    low: float | str  # feasible range of the score, or the pinned code
    high: float | str
    true: float | str  # the true score or code
    group: str  # the smallest published group holding the respondent: "wave unit cut (n=..)"
    class_size: int = 1  # > 1: exchangeable respondents pinned together

    def __str__(self) -> str:
        if self.kind == "score":
            what = f"{self.target} score in [{self.low:.3f}, {self.high:.3f}] (true {self.true:.3f})"
        else:
            what = f"{self.target} = {self.low} (true {self.true})"
        together = f", pinned together with {self.class_size - 1} others" if self.class_size > 1 else ""
        return f"{self.wave} {self.respondent} ({self.team}): {what}; smallest group {self.group}{together}"


@dataclass
class Attack:
    """What was attacked and what was found."""

    audiences: tuple[str, ...]
    waves: tuple[str, ...]
    rows: int = 0  # distinct published rows used (and checked)
    respondents: int = 0  # response rows in at least one published group
    unknowns: int = 0  # integer variables over all models
    classes: int = 0  # exchangeable classes (individuals included)
    constraints: int = 0  # rows of the models (release rows, class sums)
    models: int = 0
    lp_solves: int = 0
    milp_solves: int = 0
    seconds: float = 0.0
    timeouts: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds by phase of the solving
    singled_out: list[Finding] = field(default_factory=list)
    group_disclosures: list[Finding] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # rows left out of the model, by measure

    @property
    def solves(self) -> int:
        return self.lp_solves + self.milp_solves

    def summary(self, examples: int = 3) -> str:
        head = (
            f"{'+'.join(self.audiences)} {','.join(self.waves)}: {self.rows} rows, {self.respondents} "
            f"respondents, {self.unknowns} unknowns in {self.classes} classes ({self.models} models), "
            f"{self.lp_solves} LP + {self.milp_solves} MILP solves, {self.seconds:.1f} s; "
            f"singled out {len(self.singled_out)}, group disclosures {len(self.group_disclosures)}, "
            f"timeouts {len(self.timeouts)}"
        )
        if self.skipped:
            head += "; not modelled: " + ", ".join(f"{k} ({v})" for k, v in self.skipped.items())
        lines = [head]
        if self.phases:
            lines.append("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        lines += [f"  singled out: {f}" for f in self.singled_out[:examples]]
        lines += [f"  timeout: {t}" for t in self.timeouts[:examples]]
        return "\n".join(lines)


# --------------------------------------------------------------------------- knowledge


def _text(col: pd.Series) -> np.ndarray:
    """A column as text codes (``None`` = blank); integer codes as ``"3"``, not ``"3.0"``."""
    out = np.empty(len(col), dtype=object)
    for i, v in enumerate(col.astype("object").tolist()):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out[i] = None
        elif isinstance(v, float) and v.is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v)
    return out


class _Family:
    """The items of one construct (or the meeting-length item) as the attacker sees them."""

    def __init__(self, survey, target: str, items: list[str], responses: pd.DataFrame, construct=None):
        self.target, self.items, self.construct = target, items, construct
        self.name = target
        R, J = len(responses), len(items)
        self.codes, self.na, self.keyed, self.raw, self.fav = [], [], [], [], []
        self.state = np.zeros((R, J), np.uint8)  # 0 blank, 1 valid, 2 not applicable
        self.truth = np.full((R, J), -1, np.int64)  # code index of a valid answer
        self.na_code = np.full((R, J), None, dtype=object)
        for j, item_id in enumerate(items):
            item = survey.item(item_id)
            scale = survey.scales[item.scale]
            codes, na = list(scale.codes), list(scale.na_codes)
            self.codes.append(codes)
            self.na.append(na)
            col = responses[item_id]
            text = _text(col)
            pos = {str(c): i for i, c in enumerate(codes)}
            nas = {str(c) for c in na}
            for r, t in enumerate(text):
                if t is None:
                    continue
                if t in pos:
                    self.state[r, j] = 1
                    self.truth[r, j] = pos[t]
                elif t in nas:
                    self.state[r, j] = 2
                    self.na_code[r, j] = t
                else:
                    raise ValueError(f"column {item_id!r} holds {t!r}, not a code of scale {scale.name!r}")
            if scale.kind == "ordinal":
                vals = np.asarray(codes, dtype=np.int64)
                lo, hi = int(vals.min()), int(vals.max())
                keyed = lo + hi - vals if item.reverse else vals
                self.raw.append(vals)
                self.keyed.append(keyed)
                good = np.asarray(scale.favourable, dtype=np.int64)
                if construct is not None and not construct.higher_is_better:
                    good = lo + hi - good  # the favourable end of a lower-is-better construct
                self.fav.append(np.isin(keyed, good))
            else:
                self.raw.append(None)
                self.keyed.append(None)
                self.fav.append(None)
        self.valid = self.state == 1
        self.answered = self.state > 0
        self.k = self.valid.sum(1)
        if construct is not None:
            self.scored = self.k >= max(construct.min_valid, 1)
            T = np.zeros(R, np.int64)
            for j in range(J):
                ok = self.valid[:, j]
                T[ok] += self.keyed[j][self.truth[ok, j]]
            self.T = T
        else:
            self.scored = np.zeros(R, bool)
            self.T = np.zeros(R, np.int64)


class _Knowledge:
    """Who answered, where, with which known answers; published groups as masks."""

    def __init__(self, responses: pd.DataFrame, survey, units: pd.DataFrame):
        for col in ("respondent", "wave", "team"):
            if col not in responses.columns:
                raise ValueError(f"responses has no column {col!r}")
        r = responses.reset_index(drop=True)
        self.responses, self.survey = r, survey
        self.wave = r["wave"].astype("str").to_numpy(dtype=object)
        self.rid = r["respondent"].astype("str").to_numpy(dtype=object)
        team = r["team"].astype("str").to_numpy(dtype=object)
        self.team = team
        self.team_names, self.team_ix = np.unique(team.astype(str), return_inverse=True)
        names = units["unit"].astype("str").tolist()
        parents = [None if pd.isna(p) or p == "" else str(p) for p in units["parent"]]
        parent = dict(zip(names, parents, strict=True))
        self.unit_order = {u: i for i, u in enumerate(names)}
        # unit -> bool over team_names: teams in its subtree
        self._teams_in: dict[str, np.ndarray] = {u: np.zeros(len(self.team_names), bool) for u in names}
        for t_i, t in enumerate(self.team_names):
            cur, seen = t, set()
            if cur not in parent:
                raise ValueError(f"responses name team {t!r}, which is not a unit of units")
            while cur is not None and cur not in seen:
                seen.add(cur)
                self._teams_in[cur][t_i] = True
                cur = parent[cur]
        self.known: dict[str, np.ndarray] = {}
        for role in ("demographic", "cadence"):
            for item in survey.items_with_role(role):
                if item.id in r.columns:
                    col = r[item.id].astype("object")
                    self.known[item.id] = _text(col)
        self.waves = sorted(pd.unique(self.wave).tolist())
        self._groups: dict[tuple, np.ndarray] = {}
        self._families: dict[str, _Family] = {}
        self.item_construct = {i: c for c, con in survey.constructs.items() for i in con.items}

    def group(self, wave: str, unit: str, cut: str) -> np.ndarray:
        key = (wave, unit, cut)
        if key not in self._groups:
            if unit not in self._teams_in:
                raise ValueError(f"the release names unit {unit!r}, which is not in units")
            mask = (self.wave == wave) & self._teams_in[unit][self.team_ix]
            if cut != "all":
                item, _, code = cut.partition("=")
                if item not in self.known:
                    raise UnknownMeasure(f"cut {cut!r}: the adversary knows no answers to {item!r}")
                ans = self.known[item]
                mask &= (ans == None) if code == "<missing>" else (ans == code)  # noqa: E711
            self._groups[key] = mask
        return self._groups[key]

    def family(self, target: str) -> _Family:
        if target not in self._families:
            survey = self.survey
            if target in survey.constructs:
                con = survey.constructs[target]
                fam = _Family(survey, target, list(con.items), self.responses, construct=con)
            else:
                fam = _Family(survey, target, [target], self.responses)
            self._families[target] = fam
        return self._families[target]


# --------------------------------------------------------------------------- constraints


@dataclass
class _Lin:
    """One linear constraint lb <= sum of terms <= ub over the answers of one family."""

    label: str
    waves: tuple[str, ...]
    groups: list[tuple]  # base group keys (wave, unit, cut) whose members it sums over
    terms: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]  # (item j, rows, mult per row, coef per code)
    lb: int
    ub: int
    kind: str  # "score" (construct mean/favourable), "item" (item mean/share), "link" (change)
    item: int = -1  # the item of an "item" row
    members: np.ndarray | None = None  # rows of the published group (for the singled-out rule)
    n: int = 0


def _ibounds(lo: float, hi: float) -> tuple[int, int]:
    """The integers in [lo, hi], widened by a hair (relative) so the truth is always inside."""
    return (
        math.ceil(lo - _REL * max(1.0, abs(lo))),
        math.floor(hi + _REL * max(1.0, abs(hi))),
    )


@dataclass(frozen=True)
class _Row:
    wave: str
    unit: str
    cut: str
    measure: str
    value: float
    n: int

    def __str__(self) -> str:
        return f"{self.wave} {self.unit} {self.cut} {self.measure}={self.value:g} (n={self.n})"


class _Builder:
    """Turns release rows into checks and per-family constraints."""

    def __init__(self, know: _Knowledge, policy: dict, shown: dict, wave_order: list[str]):
        self.know, self.pol, self.shown, self.wave_order = know, policy, shown, wave_order
        self.h = 0.5 * 10.0 ** (-policy["mean_decimals"])
        self.hp = 0.5 * 10.0 ** (-policy["percent_decimals"])
        self.lins: dict[str, list[_Lin]] = {}
        self.checked = 0
        self.skipped: dict[str, int] = {}  # measures left out of the linear model, by kind
        self.mean, self.derived = "pooled", "shown"
        self.decimals: dict[str, int] = {}
        self._comps: dict = {}

    def half(self, kind: str) -> float:
        """Half a unit of the last decimal shown of a mean-like measure ``kind``."""
        return 0.5 * 10.0 ** (-self.decimals.get(kind, self.pol["mean_decimals"]))

    # -- helpers
    def fail(self, row: _Row, why: str):
        raise AdversaryError(f"release row {row}: {why}")

    def check_n(self, row: _Row, count: int, what: str):
        if count != row.n:
            self.fail(row, f"the attacker counts {count} {what}, the release says n={row.n}")

    def add(self, fam: _Family, lin: _Lin):
        self.lins.setdefault(fam.target, []).append(lin)

    def mean_lin(self, row: _Row, fam: _Family, value: float, label: str, half: float | None = None) -> _Lin:
        r"""A construct mean of group (row.wave, row.unit, row.cut) within ``value`` +- ``half``
        (default: the rounding of the decimals shown).

        Pooled (the release's definition): the sum of the group's keyed valid answers over their
        number :math:`M`, so :math:`M (v - h) \le \sum \kappa x \le M (v + h)`. With
        ``mean="scores"`` (an old definition, for the tests' weakened releases): the mean of the
        respondents' scores, times :math:`L = \operatorname{lcm}(k_r)` for integer coefficients.
        """
        half = self.h if half is None else half
        g = self.know.group(row.wave, row.unit, row.cut)
        members = np.flatnonzero(g & fam.scored)
        n = len(members)
        terms = []
        if self.mean == "pooled":
            M = int(fam.k[members].sum())
            for j in range(len(fam.items)):
                rows = members[fam.valid[members, j]]
                terms.append((j, rows, np.ones(len(rows), np.int64), fam.keyed[j]))
            lb, ub = _ibounds(M * (value - half), M * (value + half))
        else:
            L = math.lcm(*np.unique(fam.k[members]).tolist()) if n else 1
            for j in range(len(fam.items)):
                rows = members[fam.valid[members, j]]
                terms.append((j, rows, L // fam.k[rows], fam.keyed[j]))
            lb, ub = _ibounds(L * n * (value - half), L * n * (value + half))
        return _Lin(
            label, (row.wave,), [(row.wave, row.unit, row.cut)], terms, lb, ub, "score", -1, members, n
        )

    def weight(self, lin: _Lin, fam: _Family) -> int:
        """The denominator of a mean constraint: :math:`M` (pooled) or :math:`L n` (scores)."""
        if not lin.n:
            return 0
        if self.mean == "pooled":
            return int(fam.k[lin.members].sum())
        return math.lcm(*np.unique(fam.k[lin.members]).tolist()) * lin.n

    def difference_lin(self, row: _Row, fam: _Family, prev: str, lo: float, hi: float, label: str):
        """The current mean minus the previous wave's mean (same unit and cut) in ``[lo, hi]``."""
        a = self.mean_lin(_Row(row.wave, row.unit, row.cut, "", float("nan"), 0), fam, 0.0, "")
        p = self.mean_lin(_Row(prev, row.unit, row.cut, "", float("nan"), 0), fam, 0.0, "")
        D1, D0 = self.weight(a, fam), self.weight(p, fam)
        if not D1 or not D0:
            return None
        # D0 * (D1 mean_now) - D1 * (D0 mean_before) over D1 * D0
        terms = [(j, r, m * D0, c) for j, r, m, c in a.terms]
        terms += [(j, r, -m * D1, c) for j, r, m, c in p.terms]
        lb, ub = _ibounds(D1 * D0 * lo, D1 * D0 * hi)
        return _Lin(label, (row.wave, prev), a.groups + p.groups, terms, lb, ub, "link")

    def components(self, wave: str, construct: str):
        """The organisation's random-intercept model of one construct in one wave, as the release
        fits it (every scored respondent of the organisation), or None below MODEL_MIN_TEAMS teams."""
        key = (wave, construct)
        if key not in self._comps:
            fam, know = self.know.family(construct), self.know
            ok = (know.wave == wave) & fam.scored
            rows = np.flatnonzero(ok)
            order = rows[np.lexsort((know.rid[rows].astype(str), know.team[rows].astype(str)))]
            teams = np.unique(know.team[order].astype(str))
            comps = None
            if len(teams) >= MODEL_MIN_TEAMS:
                comps = variance_components(fam.T[order] / fam.k[order], know.team[order].astype(str))
            self._comps[key] = comps
        return self._comps[key]


def _construct_mean(b: _Builder, row: _Row, target: str, rest: tuple):
    fam = b.know.family(target)
    lin = b.mean_lin(row, fam, row.value, str(row))
    b.check_n(row, lin.n, f"respondents with a {target} score")
    b.add(fam, lin)


def _construct_favourable(b: _Builder, row: _Row, target: str, rest: tuple):
    fam = b.know.family(target)
    g = b.know.group(row.wave, row.unit, row.cut)
    members = np.flatnonzero(g & fam.scored)
    b.check_n(row, len(members), f"respondents with a {target} score")
    if any(f is None for f in fam.fav):
        b.fail(row, f"{target} has an item whose scale has no favourable codes")
    M = int(fam.k[members].sum())
    terms = []
    for j in range(len(fam.items)):
        rows = members[fam.valid[members, j]]
        terms.append((j, rows, np.ones(len(rows), np.int64), fam.fav[j].astype(np.int64)))
    lb, ub = _ibounds(M * (row.value - b.hp) / 100, M * (row.value + b.hp) / 100)
    b.add(
        fam,
        _Lin(
            str(row),
            (row.wave,),
            [(row.wave, row.unit, row.cut)],
            terms,
            lb,
            ub,
            "score",
            -1,
            members,
            len(members),
        ),
    )


def _previous(b: _Builder, row: _Row) -> str:
    at = b.wave_order.index(row.wave)
    if at == 0:
        b.fail(row, "a change in the first wave")
    return b.wave_order[at - 1]


def _construct_change(b: _Builder, row: _Row, target: str, rest: tuple):
    """The current mean minus the previous wave's mean (of the same unit and cut).

    The release computes it from the two *shown* means (``derived="shown"``): where both are
    shown it is checked and adds nothing; where one is shown it gives the other's shown value (a
    mean row); where neither is, the true means differ by the change within the combined
    rounding. With ``derived="exact"`` (a weakened release computing it from the exact means) it
    is a constraint on the difference of the true means within its own rounding only.
    """
    fam = b.know.family(target)
    cur_members = np.flatnonzero(b.know.group(row.wave, row.unit, row.cut) & fam.scored)
    b.check_n(row, len(cur_members), f"respondents with a {target} score")
    prev = _previous(b, row)
    mkey = f"{target}:mean"
    cur_v = b.shown.get((row.wave, row.unit, row.cut, mkey))
    prev_v = b.shown.get((prev, row.unit, row.cut, mkey))
    md, hc = b.pol["mean_decimals"], b.half("change")
    if b.derived == "exact":
        if prev in b.know.waves:
            lin = b.difference_lin(row, fam, prev, row.value - hc, row.value + hc, str(row))
            if lin is not None:
                b.add(fam, lin)
        return
    if cur_v is not None and prev_v is not None:  # adds nothing: check it
        if abs(round(cur_v - prev_v, md) - row.value) > hc * (1 + _REL):
            b.fail(row, f"the shown means {cur_v} and {prev_v} differ by {cur_v - prev_v:.6g}")
        b.checked += 1
        return
    if prev not in b.know.waves:  # the previous wave is not attacked: nothing about this one
        return
    prev_row = _Row(prev, row.unit, row.cut, mkey, float("nan"), 0)
    if cur_v is not None:  # the previous shown mean follows exactly
        b.add(fam, b.mean_lin(prev_row, fam, round(cur_v - row.value, md), f"{row} (previous mean)"))
        return
    cur_row = _Row(row.wave, row.unit, row.cut, mkey, float("nan"), row.n)
    if prev_v is not None:
        b.add(fam, b.mean_lin(cur_row, fam, round(prev_v + row.value, md), f"{row} (current mean)"))
        return
    # neither mean shown: cur - prev in [v - hc - 2h, v + hc + 2h]
    lin = b.difference_lin(row, fam, prev, row.value - hc - 2 * b.h, row.value + hc + 2 * b.h, str(row))
    if lin is not None:
        b.add(fam, lin)


def _construct_change_interval(b: _Builder, row: _Row, target: str, rest: tuple):
    """``change_low`` / ``change_high``: the change -+ z sqrt(sigma2_now / n_now + sigma2_before /
    n_before), with the organisation's components known to the attacker. The change follows to
    within the rounding: checked against the shown change (or means), else a constraint on the
    difference of the means as :func:`_construct_change` has it."""
    fam = b.know.family(target)
    cur = np.flatnonzero(b.know.group(row.wave, row.unit, row.cut) & fam.scored)
    b.check_n(row, len(cur), f"respondents with a {target} score")
    prev = _previous(b, row)
    if prev not in b.know.waves:
        return
    before = np.flatnonzero(b.know.group(prev, row.unit, row.cut) & fam.scored)
    c1, c0 = b.components(row.wave, target), b.components(prev, target)
    if c1 is None or c0 is None or not len(before):
        b.fail(
            row, f"a change interval without the organisation's model of both waves ({MODEL_MIN_TEAMS} teams)"
        )
    low, _ = change_intervals(
        np.zeros(1), np.array([len(cur)]), np.array([len(before)]), c1.sigma2, c0.sigma2
    )
    zse = -float(low[0])
    sign = +1.0 if row.measure.endswith("change_low") else -1.0
    hi_ = b.half("change")
    lo, hi = row.value + sign * zse - hi_, row.value + sign * zse + hi_  # the change itself
    tol = 1e-7 * max(1.0, abs(lo), abs(hi))
    if b.derived == "exact":
        lin = b.difference_lin(row, fam, prev, lo, hi, str(row))
        if lin is not None:
            b.add(fam, lin)
        return
    mkey = f"{target}:mean"
    change = b.shown.get((row.wave, row.unit, row.cut, f"{target}:change"))
    cur_v = b.shown.get((row.wave, row.unit, row.cut, mkey))
    prev_v = b.shown.get((prev, row.unit, row.cut, mkey))
    shown_change = (
        change
        if change is not None
        else (
            round(cur_v - prev_v, b.pol["mean_decimals"])
            if cur_v is not None and prev_v is not None
            else None
        )
    )
    if shown_change is not None:
        if not lo - tol <= shown_change <= hi + tol:
            b.fail(row, f"implies a change in [{lo:.6g}, {hi:.6g}], the shown change is {shown_change}")
        b.checked += 1
        if cur_v is not None and prev_v is not None:
            return  # a function of the two shown means: adds nothing
    lin = b.difference_lin(row, fam, prev, lo - 2 * b.h, hi + 2 * b.h, str(row))
    if lin is not None:
        b.add(fam, lin)


def _construct_eb(b: _Builder, row: _Row, target: str, rest: tuple):
    """``eb_mean`` / ``eb_low`` / ``eb_high`` of a team mean: an affine function of the mean fed
    in, :math:`\\hat\theta = \\mu + \\lambda (\bar y - \\mu)`, interval
    :math:`\\hat\theta \\mp z\\,se(n)`, with the organisation's components known to the attacker
    (the strongest assumption). Inverting the map gives an interval for the mean fed in; every
    row of the three gives one. The release feeds in the *shown* mean (``derived="shown"``): the
    interval must hold the shown mean (checked), and the true mean lies within the mean's
    rounding of it (a constraint that never tightens the mean's own row, as the adversary
    confirms by solving). With ``derived="exact"`` the interval is a constraint on the true
    mean itself: it tightens the mean's rounding interval."""
    fam = b.know.family(target)
    members = np.flatnonzero(b.know.group(row.wave, row.unit, row.cut) & fam.scored)
    b.check_n(row, len(members), f"respondents with a {target} score")
    comps = b.components(row.wave, target)
    if comps is None:
        b.fail(row, f"an estimate without the organisation's model ({MODEL_MIN_TEAMS} teams)")
    est, low, _ = eb_estimates(np.array([comps.mu, comps.mu + 1.0]), np.array([row.n, row.n]), comps)
    lam, zse = float(est[1] - est[0]), float(est[0] - low[0])
    shift = {"eb_mean": 0.0, "eb_low": zse, "eb_high": -zse}[row.measure.split(":")[1]]
    he = b.half("eb")
    e_lo, e_hi = row.value + shift - he, row.value + shift + he  # the estimate itself
    tol = 1e-7 * max(1.0, abs(e_lo), abs(e_hi))
    if lam <= 1e-12:  # singular fit: every team at the organisation's mean, nothing about the team
        if not e_lo - tol <= comps.mu <= e_hi + tol:
            b.fail(row, f"a singular model's estimate is the organisation's mean {comps.mu:.6g}")
        b.checked += 1
        return
    x_lo, x_hi = comps.mu + (e_lo - comps.mu) / lam, comps.mu + (e_hi - comps.mu) / lam
    if b.derived == "shown":
        v = b.shown.get((row.wave, row.unit, row.cut, f"{target}:mean"))
        if v is not None and not x_lo - tol / lam <= v <= x_hi + tol / lam:
            b.fail(row, f"implies a mean in [{x_lo:.6g}, {x_hi:.6g}], the shown mean is {v}")
        x_lo, x_hi = x_lo - b.h, x_hi + b.h
    b.checked += 1
    b.add(fam, b.mean_lin(row, fam, 0.5 * (x_lo + x_hi), f"{row} (inverted)", half=0.5 * (x_hi - x_lo)))


def _not_linear(b: _Builder, row: _Row, target: str, rest: tuple):
    """A measure left out of the linear model (see the module documentation): counted."""
    kind = row.measure.split(":", 1)[-1]
    b.skipped[kind] = b.skipped.get(kind, 0) + 1


def _item_mean(b: _Builder, row: _Row, target: str, rest: tuple):
    construct = b.know.item_construct.get(target)
    if construct is None:
        raise UnknownMeasure(f"measure {row.measure!r}: {target!r} is not an item of a construct")
    fam = b.know.family(construct)
    j = fam.items.index(target)
    # over the respondents with a score on the construct (as the release computes them)
    members = np.flatnonzero(b.know.group(row.wave, row.unit, row.cut) & fam.valid[:, j] & fam.scored)
    b.check_n(row, len(members), f"valid answers to {target} of respondents with a {construct} score")
    n = len(members)
    lb, ub = _ibounds(n * (row.value - b.h), n * (row.value + b.h))
    terms = [(j, members, np.ones(n, np.int64), fam.raw[j])]
    b.add(
        fam,
        _Lin(str(row), (row.wave,), [(row.wave, row.unit, row.cut)], terms, lb, ub, "item", j, members, n),
    )


def _share(b: _Builder, row: _Row, target: str, rest: tuple):
    code = rest[0]
    g = b.know.group(row.wave, row.unit, row.cut)
    if target in b.know.known:  # a known item (cadence, a demographic): a check
        ans = b.know.known[target]
        answered = int((g & (ans != None)).sum())  # noqa: E711
        b.check_n(row, answered, f"answers to {target}")
        count = int((g & (ans == code)).sum())
        if abs(100 * count / answered - row.value) > b.hp * (1 + _REL) + _REL:
            b.fail(row, f"{count} of {answered} answered {code!r}")
        b.checked += 1
        return
    construct = b.know.item_construct.get(target)
    role = b.know.survey.item(target).role if target in {i.id for i in b.know.survey.items} else None
    if construct is None and role != "meeting_length":
        raise UnknownMeasure(f"measure {row.measure!r}: the adversary does not model answers to {target!r}")
    fam = b.know.family(construct if construct is not None else target)
    j = fam.items.index(target)
    answered = fam.answered[:, j] & (fam.scored if fam.construct is not None else True)
    members = np.flatnonzero(g & answered)  # a construct's items: over its scored respondents
    b.check_n(row, len(members), f"answers to {target}")
    n = len(members)
    if code in {str(c) for c in fam.na[j]}:  # a not-applicable share: known
        count = int((fam.na_code[members, j] == code).sum())
        if abs(100 * count / n - row.value) > b.hp * (1 + _REL) + _REL:
            b.fail(row, f"{count} of {n} answered {code!r}")
        b.checked += 1
        return
    pos = [str(c) for c in fam.codes[j]]
    if code not in pos:
        b.fail(row, f"{code!r} is not a code of {target}")
    rows = members[fam.valid[members, j]]
    coef = np.zeros(len(pos), np.int64)
    coef[pos.index(code)] = 1
    lb, ub = _ibounds(n * (row.value - b.hp) / 100, n * (row.value + b.hp) / 100)
    terms = [(j, rows, np.ones(len(rows), np.int64), coef)]
    b.add(
        fam,
        _Lin(str(row), (row.wave,), [(row.wave, row.unit, row.cut)], terms, lb, ub, "item", j, members, n),
    )


def _responses(b: _Builder, row: _Row, target: str, rest: tuple):
    count = int(b.know.group(row.wave, row.unit, row.cut).sum())
    b.check_n(row, count, "respondents")
    if row.value != count:
        b.fail(row, f"the attacker counts {count} respondents")
    b.checked += 1


def _response_rate(b: _Builder, row: _Row, target: str, rest: tuple):
    count = int(b.know.group(row.wave, row.unit, row.cut).sum())
    if row.n <= 0 or abs(100 * count / row.n - row.value) > b.hp * (1 + _REL) + _REL:
        b.fail(row, f"the attacker counts {count} respondents")
    b.checked += 1


#: How each measure kind becomes constraints or checks: ``(target type, kind) -> handler``. The
#: target type is ``construct``, ``item`` or ``-`` (no target); ``kind`` is the text after the
#: target (``mean``, ``favourable``, ``change``, ``share``), or the whole measure without a target.
#: Add a row here for a new measure kind.
MEASURES: dict[tuple[str, str], Callable] = {
    ("-", "responses"): _responses,
    ("-", "response_rate"): _response_rate,
    ("construct", "mean"): _construct_mean,
    ("construct", "favourable"): _construct_favourable,
    ("construct", "change"): _construct_change,
    ("construct", "change_low"): _construct_change_interval,
    ("construct", "change_high"): _construct_change_interval,
    ("construct", "eb_mean"): _construct_eb,
    ("construct", "eb_low"): _construct_eb,
    ("construct", "eb_high"): _construct_eb,
    ("construct", "weekly_vs_monthly"): _not_linear,
    ("construct", "weekly_vs_monthly_low"): _not_linear,
    ("construct", "weekly_vs_monthly_high"): _not_linear,
    ("item", "mean"): _item_mean,
    ("item", "share"): _share,
}


def _parse(measure: str, survey, item_ids: set[str]) -> tuple[tuple[str, str], str, tuple]:
    parts = measure.split(":")
    if len(parts) == 1:
        return ("-", measure), "", ()
    target, kind, rest = parts[0], parts[1], tuple(parts[2:])
    kind_of = "construct" if target in survey.constructs else "item" if target in item_ids else "?"
    return (kind_of, kind), target, rest


# --------------------------------------------------------------------------- the model of one family


class _Model:
    """Classes, variables and constraints of one family over some waves."""

    def __init__(self, fam: _Family, lins: list[_Lin], know: _Knowledge):
        self.fam, self.lins = fam, lins
        J = len(fam.items)
        keys = sorted({g for lin in lins for g in lin.groups})
        self.group_keys = keys
        masks = np.column_stack([know.group(*k) for k in keys])
        has_unknown = fam.valid.any(1)
        cand = np.flatnonzero(masks.any(1) & has_unknown)
        self.rows = cand
        wave_code = np.searchsorted(np.array(know.waves, dtype=object), know.wave[cand]).astype(np.uint8)
        sig = np.column_stack([wave_code[:, None], fam.state[cand], np.packbits(masks[cand], axis=1)])
        _, first, inv, size = np.unique(
            sig, axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        inv = inv.ravel()
        order = np.argsort(first, kind="stable")  # classes in order of their first row: deterministic
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.class_of_row = np.full(len(fam.k), -1, np.int64)
        self.class_of_row[cand] = rank[inv]
        Q = len(order)
        self.size = size[order]
        self.members = [[] for _ in range(Q)]
        for r in cand:
            self.members[self.class_of_row[r]].append(r)
        self.members = [np.array(m, dtype=np.int64) for m in self.members]
        self.first = np.array([m[0] for m in self.members], dtype=np.int64)
        self.Q = Q
        self.in_group = masks[self.first] if Q else np.zeros((0, len(keys)), bool)
        self.group_index = {k: i for i, k in enumerate(keys)}
        # variables: y[q, j, c] for valid items; z[q, j, c] for representatives
        ncode = [len(c) for c in fam.codes]
        self.y_off = np.full((Q, J), -1, np.int64)
        self.z_off = np.full((Q, J), -1, np.int64)
        nv = 0
        for q in range(Q):
            for j in range(J):
                if fam.valid[self.first[q], j]:
                    self.y_off[q, j] = nv
                    nv += ncode[j]
        span = np.zeros(Q, np.float64)
        if fam.construct is not None:
            for q in range(Q):
                if self.size[q] > 1 and fam.scored[self.first[q]]:
                    s = fam.T[self.members[q]] / fam.k[self.first[q]]
                    span[q] = s.max() - s.min()
        self.rep = (
            (self.size > 1) & fam.scored[self.first] & (span < 1)
            if fam.construct is not None
            else np.zeros(Q, bool)
        )
        for q in np.flatnonzero(self.rep):
            for j in range(J):
                if self.y_off[q, j] >= 0:
                    self.z_off[q, j] = nv
                    nv += ncode[j]
        self.nv = nv
        self.var_class = np.zeros(nv, np.int64)
        self.var_item = np.zeros(nv, np.int64)
        self.var_code = np.zeros(nv, np.int64)
        self.var_ncode = np.zeros(nv, np.int64)
        is_y = np.zeros(nv, bool)
        twin = np.full(nv, -1, np.int64)
        for q in range(Q):
            for j in range(J):
                for off in (self.y_off[q, j], self.z_off[q, j]):
                    if off >= 0:
                        sl_ = slice(off, off + ncode[j])
                        self.var_class[sl_], self.var_item[sl_] = q, j
                        self.var_code[sl_] = np.arange(ncode[j])
                        self.var_ncode[sl_] = ncode[j]
                is_y[self.y_off[q, j] : self.y_off[q, j] + ncode[j]] = self.y_off[q, j] >= 0
                if self.z_off[q, j] >= 0:
                    twin[self.y_off[q, j] : self.y_off[q, j] + ncode[j]] = (
                        np.arange(ncode[j]) + self.z_off[q, j]
                    )
        self.y_var = np.flatnonzero(is_y)
        self.y_twin = twin[self.y_var]
        self.z_var = np.flatnonzero(~is_y)
        ub = np.zeros(nv)
        for q in range(Q):
            for j in range(J):
                if self.y_off[q, j] >= 0:
                    ub[self.y_off[q, j] : self.y_off[q, j] + ncode[j]] = self.size[q]
                if self.z_off[q, j] >= 0:
                    ub[self.z_off[q, j] : self.z_off[q, j] + ncode[j]] = 1
        self.ub = ub
        # constraint rows
        ri, ci, dv, lb, ubs, labels, row_n = [], [], [], [], [], [], []
        nrow = 0
        for lin in lins:
            for j, rows, mult, coef in lin.terms:
                if not len(rows):
                    continue
                cls = self.class_of_row[rows]
                if (cls < 0).any():
                    raise AdversaryError(f"{lin.label}: a member outside every class")
                uq, at, cnt = np.unique(cls, return_index=True, return_counts=True)
                if (cnt != self.size[uq]).any():
                    raise AdversaryError(f"{lin.label}: a class split by the group (signature bug)")
                m = mult[at]
                for q, mq in zip(uq.tolist(), m.tolist(), strict=True):
                    off = self.y_off[q, j]
                    nz = np.flatnonzero(coef)
                    ri += [nrow] * len(nz)
                    ci += (off + nz).tolist()
                    dv += (mq * coef[nz]).tolist()
            lb.append(lin.lb)
            ubs.append(lin.ub)
            labels.append(lin.label)
            row_n.append(lin.n if lin.kind != "link" else 1 << 30)
            nrow += 1
        self.n_release = nrow
        for q in range(Q):  # class sums
            for j in range(J):
                if self.y_off[q, j] >= 0:
                    ri += [nrow] * ncode[j]
                    ci += list(range(self.y_off[q, j], self.y_off[q, j] + ncode[j]))
                    dv += [1] * ncode[j]
                    lb.append(self.size[q])
                    ubs.append(self.size[q])
                    labels.append(f"class {q} item {fam.items[j]}")
                    nrow += 1
                if self.z_off[q, j] >= 0:
                    ri += [nrow] * ncode[j]
                    ci += list(range(self.z_off[q, j], self.z_off[q, j] + ncode[j]))
                    dv += [1] * ncode[j]
                    lb.append(1)
                    ubs.append(1)
                    labels.append(f"representative of class {q} item {fam.items[j]}")
                    nrow += 1
                    for c in range(ncode[j]):  # z <= y
                        ri += [nrow, nrow]
                        ci += [self.z_off[q, j] + c, self.y_off[q, j] + c]
                        dv += [1, -1]
                        lb.append(-np.inf)
                        ubs.append(0)
                        labels.append("z <= y")
                        nrow += 1
        self.A = csr_matrix((np.asarray(dv, float), (ri, ci)), shape=(nrow, nv))
        self.Acsc = self.A.tocsc()
        self.row_n = np.asarray(row_n, np.int64)
        self.row_class = np.full(nrow, -1, np.int64)
        self.row_class[self.n_release :] = (
            self.var_class[self.A[self.n_release :].indices[self.A[self.n_release :].indptr[:-1]]]
            if nrow > self.n_release
            else []
        )
        self.row_hash = np.random.default_rng(7).integers(1, 2**31, size=nrow)
        self.lb, self.ubr, self.labels = np.asarray(lb, float), np.asarray(ubs, float), labels
        # the truth
        x = np.zeros(nv)
        for q in range(Q):
            for j in range(J):
                if self.y_off[q, j] >= 0:
                    np.add.at(x, self.y_off[q, j] + fam.truth[self.members[q], j], 1)
                if self.z_off[q, j] >= 0:
                    x[self.z_off[q, j] + fam.truth[self.first[q], j]] = 1
        self.truth = x
        ax = self.A @ x
        self.ax_truth = ax
        bad = np.flatnonzero((ax < self.lb - 1e-9) | (ax > self.ubr + 1e-9))
        if len(bad):
            i = bad[0]
            raise AdversaryError(
                f"the true answers violate {self.labels[i]}: "
                f"{ax[i]:g} not in [{self.lb[i]:g}, {self.ubr[i]:g}]"
            )
        self._quantities()

    def _quantities(self):
        fam, Q, J = self.fam, self.Q, len(self.fam.items)
        # scores: individuals and representatives with a score
        sr, sc, sd, sq = [], [], [], []
        if fam.construct is not None:
            for q in range(Q):
                if not fam.scored[self.first[q]] or (self.size[q] > 1 and not self.rep[q]):
                    continue
                off = self.z_off[q] if self.rep[q] else self.y_off[q]
                row = len(sq)
                for j in range(J):
                    if off[j] >= 0:
                        sr += [row] * len(fam.codes[j])
                        sc += list(range(off[j], off[j] + len(fam.codes[j])))
                        sd += fam.keyed[j].tolist()
                sq.append(q)
        self.score_q = np.asarray(sq, np.int64)
        self.S = csr_matrix((np.asarray(sd, float), (sr, sc)), shape=(len(sq), self.nv))
        self.score_k = fam.k[self.first[self.score_q]] if len(sq) else np.zeros(0, np.int64)
        lo = np.array(
            [sum(int(fam.keyed[j].min()) for j in range(J) if self.y_off[q, j] >= 0) for q in sq], np.int64
        )
        hi = np.array(
            [sum(int(fam.keyed[j].max()) for j in range(J) if self.y_off[q, j] >= 0) for q in sq], np.int64
        )
        self.out_lo, self.out_hi = lo, hi  # outer bounds of T (proved)
        tru = [fam.T[self.members[q]] for q in sq]
        self.obs_lo = np.array([t.min() for t in tru], np.int64)  # achievable values seen
        self.obs_hi = np.array([t.max() for t in tru], np.int64)
        # answers: y[q, j, true] for individuals, and for classes whose members share a true code
        aq, aj, ac, av = [], [], [], []
        for q in range(Q):
            for j in range(J):
                if self.y_off[q, j] < 0:
                    continue
                codes = np.unique(fam.truth[self.members[q], j])
                if len(codes) == 1:
                    aq.append(q)
                    aj.append(j)
                    ac.append(int(codes[0]))
                    av.append(self.y_off[q, j] + int(codes[0]))
        self.ans_q, self.ans_j = np.asarray(aq, np.int64), np.asarray(aj, np.int64)
        self.ans_c, self.ans_var = np.asarray(ac, np.int64), np.asarray(av, np.int64)
        self.ans_m = self.size[self.ans_q] if len(aq) else np.zeros(0, np.int64)
        # states: 0 undecided, 1 not disclosed (wide / not pinned), 2 disclosed (narrow / pinned)
        self.score_state = np.where(self.obs_hi - self.obs_lo >= self.score_k, 1, 0)
        self.ans_state = np.zeros(len(aq), np.int64)
        self.exact_lo = np.zeros(len(sq), bool)
        self.exact_hi = np.zeros(len(sq), bool)
        self._partners = None
        self.score_of_class = [np.flatnonzero(self.score_q == q) for q in range(Q)]
        self.ans_of_class = [np.flatnonzero(self.ans_q == q) for q in range(Q)]
        # the published groups holding each class, smallest first
        self.pub = [lin for lin in self.lins if lin.members is not None and lin.n > 0]
        self.lin_classes = []
        holding: list[list[int]] = [[] for _ in range(Q)]
        for i, lin in enumerate(self.pub):
            cls = np.unique(self.class_of_row[lin.members])
            cls = cls[cls >= 0]
            self.lin_classes.append(cls)
            for q in cls.tolist():
                holding[q].append(i)
        self.holding = [sorted(h, key=lambda i: (self.pub[i].n, self.pub[i].label)) for h in holding]
        smallest = [self.pub[h[0]].n if h else 1 << 60 for h in self.holding]
        self.order = (
            np.lexsort((np.arange(Q), np.asarray(smallest, np.int64))) if Q else np.zeros(0, np.int64)
        )

    def neighbourhood(self, q: int, cap: int, rng, largest: int | None = None) -> np.ndarray:
        """Class q and the classes of the published groups holding it, smallest groups first, up to
        ``cap`` classes (a random sample of a group that does not fit); groups of more than
        ``largest`` respondents only while q has no other class."""
        out = {q}
        for i in self.holding[q]:
            room = cap - len(out)
            if room <= 0 or (largest is not None and self.pub[i].n > largest and len(out) > 1):
                break
            new = [c for c in self.lin_classes[i].tolist() if c not in out]
            if len(new) > room:
                new = rng.choice(np.asarray(new), size=room, replace=False).tolist()
            out.update(new)
        return np.array(sorted(out), np.int64)

    def partner_matrix(self) -> np.ndarray:
        """Which classes a swap may pair (a class and up to 40 classes of the groups holding it;
        fixed per model, so deterministic)."""
        if self._partners is None:
            rng = np.random.default_rng(12345)
            P = np.zeros((self.Q, self.Q), bool)
            for c in range(self.Q):
                P[c, self.neighbourhood(c, 40, rng, largest=_SMALL[-1])] = True
            self._partners = P
        return self._partners


# --------------------------------------------------------------------------- exact moves


def _moves(
    m: _Model,
    base: np.ndarray,
    focus: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    combine: bool = True,
    per_key: int = 2,
    max_first: int = 400,
    max_second: int = 1000,
    max_triples: int = 20000,
):
    """Feasible changes of the integer solution ``base``, found without a solver.

    A *shift* changes one member's answer to one item (class q, item j, code a to b); a *swap*
    is a shift of q and the opposite shift of another class r (a partner: a class of a published
    group holding q) on the same item; and two shifts or swaps whose effects on the tight rows
    (those without room for a change) cancel form a pair (e.g. a swap in one team undone on the
    cut rows by a swap in another team). Returns the feasible ones as the columns of a sparse
    matrix (each column ``v``: ``base + v`` is an integer solution, checked exactly), and their
    effects on the rows (``A @ V``). ``focus`` (a boolean mask of classes) limits the shifts to
    those classes; without ``combine``, only shifts are tried. For the moves of the ``targets``
    classes (a mask), triples are searched too:
    a move, another one sharing a tight row, and a third cancelling what is left (meet in the
    middle on the hashes of the moves' effects).
    """
    # shifts of a member who is not a representative: y[q, j, a] -= 1, y[q, j, b] += 1
    yv = m.y_var
    free = base[yv] - np.where(m.y_twin >= 0, base[np.maximum(m.y_twin, 0)], 0) >= 1
    if focus is not None:
        free &= focus[m.var_class[yv]]
    src = yv[free]
    src_q, src_j, src_a = m.var_class[src], m.var_item[src], m.var_code[src]
    nc = m.var_ncode[src]
    rep = np.repeat(np.arange(len(src)), nc - 1)
    step = np.arange(len(rep)) - np.repeat(np.cumsum(nc - 1) - (nc - 1), nc - 1)
    b = step + (step >= src_a[rep])  # every other code of the item
    q_, j_, a_ = src_q[rep], src_j[rep], src_a[rep]
    off = m.y_off[q_, j_]
    ns = len(rep)
    ri = [np.r_[off + a_, off + b]]
    ci = [np.r_[np.arange(ns), np.arange(ns)]]
    dv = [np.r_[-np.ones(ns), np.ones(ns)]]
    meta = [np.column_stack([q_, j_, a_, b])]
    # shifts of a representative (it and its class count move together)
    zv = m.z_var[base[m.z_var] >= 0.5] if len(m.z_var) else m.z_var
    if focus is not None:
        zv = zv[focus[m.var_class[zv]]]
    extra = []
    for v in zv.tolist():
        q, j, a = int(m.var_class[v]), int(m.var_item[v]), int(m.var_code[v])
        for bb in range(int(m.var_ncode[v])):
            if bb != a:
                extra.append((q, j, a, bb))
    if extra:
        e = np.array(extra, np.int64)
        k = len(e)
        yo, zo = m.y_off[e[:, 0], e[:, 1]], m.z_off[e[:, 0], e[:, 1]]
        cols = ns + np.arange(k)
        ri.append(np.r_[yo + e[:, 2], yo + e[:, 3], zo + e[:, 2], zo + e[:, 3]])
        ci.append(np.tile(cols, 4))
        dv.append(np.r_[-np.ones(k), np.ones(k), -np.ones(k), np.ones(k)])
        meta.append(e)
        ns += k
    if not ns:
        return csr_matrix((m.nv, 0)).tocsc(), csr_matrix((m.A.shape[0], 0)).tocsc()
    meta = np.concatenate(meta)
    U = csr_matrix((np.concatenate(dv), (np.concatenate(ri), np.concatenate(ci))), shape=(m.nv, ns)).tocsc()
    if not combine:
        AU = (m.A @ U).tocsc()
        ax = m.A @ base
        ok = _feasible(U, AU, base, m.ub, ax - m.lb, m.ubr - ax)
        return U[:, ok], AU[:, ok]
    # swaps: shift (q, j, a -> b) and shift (r, j, b -> a) of a partner r
    key = (meta[:, 1] * 64 + meta[:, 2]) * 64 + meta[:, 3]
    rkey = (meta[:, 1] * 64 + meta[:, 3]) * 64 + meta[:, 2]
    order = np.argsort(key, kind="stable")
    sk = key[order]
    lo = np.searchsorted(sk, rkey, "left")
    hi = np.searchsorted(sk, rkey, "right")
    want = (meta[:, 2] < meta[:, 3]) & (hi > lo)
    s1 = np.repeat(np.flatnonzero(want), (hi - lo)[want])
    pos = np.arange(len(s1)) - np.repeat(np.cumsum((hi - lo)[want]) - (hi - lo)[want], (hi - lo)[want])
    s2 = order[np.repeat(lo[want], (hi - lo)[want]) + pos]
    keep = (meta[s1, 0] != meta[s2, 0]) & m.partner_matrix()[meta[s1, 0], meta[s2, 0]]
    s1, s2 = s1[keep], s2[keep]
    n2 = len(s1)
    C = csr_matrix(
        (
            np.ones(ns + 2 * n2),
            (np.r_[np.arange(ns), s1, s2], np.r_[np.arange(ns), np.tile(np.arange(ns, ns + n2), 2)]),
        ),
        shape=(ns, ns + n2),
    ).tocsc()
    V = (U @ C).tocsc()
    AV = (m.A @ V).tocsc()
    ax = m.A @ base
    sl, sh = ax - m.lb, m.ubr - ax
    ok = _feasible(V, AV, base, m.ub, sl, sh)
    # pairs whose effects cancel on the tight rows: match hashes h(c) = -h(d)
    big = np.zeros(m.A.shape[0])
    np.maximum.at(big, AV.indices, np.abs(AV.data))
    tight = np.minimum(sl, sh) < big
    ncol = AV.shape[1]
    colr = np.repeat(np.arange(ncol), np.diff(AV.indptr))
    t = tight[AV.indices] & (AV.data != 0)
    h = np.zeros(ncol, np.int64)
    np.add.at(h, colr[t], m.row_hash[AV.indices[t]] * np.rint(AV.data[t]).astype(np.int64))
    cand = np.flatnonzero(~ok)
    order = cand[np.argsort(h[cand], kind="stable")]
    sh_ = h[order]
    lo = np.searchsorted(sh_, -h[cand], "left")
    hi = np.minimum(np.searchsorted(sh_, -h[cand], "right"), lo + per_key)
    cnt = np.maximum(hi - lo, 0)
    pa = np.repeat(cand, cnt)
    pos = np.arange(len(pa)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    pb = order[np.repeat(lo, cnt) + pos]
    sel = pa < pb
    pa, pb = pa[sel], pb[sel]
    combos = [np.column_stack([pa, pb])]
    if targets is not None and targets.any():
        combos.append(_triples(m, V, AV, ok, h, tight, targets, per_key, max_first, max_second, max_triples))
    out, aout = [V[:, ok]], [AV[:, ok]]
    for combo in combos:
        if not len(combo):
            continue
        n, w = combo.shape
        P = csr_matrix((np.ones(n * w), (combo.ravel(), np.repeat(np.arange(n), w))), shape=(ncol, n)).tocsc()
        V2, AV2 = (V @ P).tocsc(), (AV @ P).tocsc()
        ok2 = _feasible(V2, AV2, base, m.ub, sl, sh)
        out.append(V2[:, ok2])
        aout.append(AV2[:, ok2])
    V, AV = sparse_hstack(out).tocsc(), sparse_hstack(aout).tocsc()
    V.sum_duplicates()
    AV.sum_duplicates()
    return V, AV


def _triples(m, V, AV, ok, h, tight, targets, per_key, max_first, max_second, max_triples) -> np.ndarray:
    """Triples (f, d, e) of moves: f moves a target class and is infeasible alone, d shares one of
    f's tight rows, and e's hash cancels f + d on the tight rows."""
    ncol = V.shape[1]
    vcol = np.repeat(np.arange(ncol), np.diff(V.indptr))
    hit = np.zeros(ncol, bool)
    hit[vcol[targets[m.var_class[V.indices]]]] = True
    first = np.flatnonzero(hit & ~ok)[:max_first]
    if not len(first):
        return np.zeros((0, 3), np.int64)
    rows_t = np.flatnonzero(tight)
    by_row = AV[rows_t].tocsr()  # tight rows x moves
    pos_t = np.full(len(tight), -1, np.int64)
    pos_t[rows_t] = np.arange(len(rows_t))
    per_row = np.diff(by_row.indptr)
    fa, fb = [], []
    for f in first.tolist():
        r = pos_t[AV.indices[AV.indptr[f] : AV.indptr[f + 1]]]
        r = r[r >= 0]
        if not len(r):
            continue
        i = r[np.argmin(per_row[r])]  # the most specific tight row f breaks: d must mend it
        d = by_row.indices[by_row.indptr[i] : by_row.indptr[i + 1]]
        d = d[d != f][:max_second]
        fa.append(np.full(len(d), f))
        fb.append(d)
    if not fa:
        return np.zeros((0, 3), np.int64)
    fa, fb = np.concatenate(fa), np.concatenate(fb)
    need = -(h[fa] + h[fb])
    order = np.argsort(h, kind="stable")
    sh_ = h[order]
    lo = np.searchsorted(sh_, need, "left")
    hi = np.minimum(np.searchsorted(sh_, need, "right"), lo + per_key)
    cnt = np.maximum(hi - lo, 0)
    a, b = np.repeat(fa, cnt), np.repeat(fb, cnt)
    pos = np.arange(len(a)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    e = order[np.repeat(lo, cnt) + pos]
    keep = (e != a) & (e != b) & (need[np.repeat(np.arange(len(fa)), cnt)] != 0)
    out = np.column_stack([a[keep], b[keep], e[keep]])
    if len(out) > max_triples:  # an even spread over the first moves
        rank = np.argsort(np.argsort(out[:, 0], kind="stable"), kind="stable")
        out = out[np.argsort(rank % max(1, len(out) // max_triples), kind="stable")[:max_triples]]
    return out


def _feasible(V, AV, base, ub, sl, sh) -> np.ndarray:
    """Which columns v keep base + v within the variable bounds and every row within its interval."""
    n = V.shape[1]
    col = np.repeat(np.arange(n), np.diff(V.indptr))
    val = base[V.indices] + V.data
    bad = np.bincount(col[(val < -1e-9) | (val > ub[V.indices] + 1e-9)], minlength=n) > 0
    colr = np.repeat(np.arange(n), np.diff(AV.indptr))
    badr = (AV.data > sh[AV.indices] + 1e-9) | (AV.data < -sl[AV.indices] - 1e-9)
    return ~(bad | (np.bincount(colr[badr], minlength=n) > 0))


# --------------------------------------------------------------------------- solving


class _Solver:
    """Decides every quantity of one model: a score is wide (1) or narrow (2), an answer is not
    pinned (1) or pinned (2); undecided (0) only after a timeout."""

    def __init__(self, model: _Model, result: Attack, time_limit: float, rng):
        self.m, self.res, self.time_limit, self.rng = model, result, time_limit, rng
        self._parts: list | None = None

    # -- solver calls
    def local(self, classes: np.ndarray, sign: int, only=None):
        """A MILP over ``classes`` only, every other class at its true answers (a certificate
        search, not a proof). The objective moves the undecided answers of the classes away from
        their true codes and their undecided scores up or down (random signs, times ``sign``), or
        one quantity: ``only`` = ("answer" or "score", index). Returns the solution found."""
        m = self.m
        free = np.isin(m.var_class, classes)
        fi = np.flatnonzero(free)
        if not len(fi):
            return None
        c = np.zeros(m.nv)
        if only is None:
            a = np.flatnonzero((m.ans_state == 0) & np.isin(m.ans_q, classes))
            np.add.at(c, m.ans_var[a], 1 / m.ans_m[a])
            sc = np.flatnonzero((m.score_state == 0) & np.isin(m.score_q, classes))
            if len(sc):
                w = np.zeros(len(m.score_q))
                w[sc] = sign * self.rng.choice([-1.0, 1.0], size=len(sc)) / m.score_k[sc]
                c += m.S.T @ w
        elif only[0] == "answer":
            c[m.ans_var[only[1]]] = 1
        else:
            c = sign * m.S[only[1]].toarray().ravel()
        A_f = m.Acsc[:, fi].tocsr()
        rows = np.flatnonzero(np.diff(A_f.indptr))
        A_f = A_f[rows]
        x0 = m.truth[fi]
        rest = m.ax_truth[rows] - A_f @ x0  # the rows at the truth, less the free part
        # variables as changes from the truth: zero is feasible
        r = milp(
            c[fi],
            integrality=np.ones(len(fi)),
            bounds=Bounds(-x0, m.ub[fi] - x0),
            constraints=LinearConstraint(A_f, m.lb[rows] - rest - A_f @ x0, m.ubr[rows] - rest - A_f @ x0),
            options={
                "time_limit": self.time_limit,
                "node_limit": _LOCAL_NODES,
                "presolve": True,
                "disp": False,
                "mip_rel_gap": 0.05,
            },
        )
        self.res.milp_solves += 1
        if r.x is None:
            if r.status == 2:
                raise AdversaryError(
                    f"{m.fam.name}: a local search is infeasible though the truth is not: a bug"
                )
            return None
        x = m.truth.copy()
        x[fi] = x0 + np.rint(r.x)
        return x if self.observe(x) else None

    # -- certificates
    def observe(self, x) -> bool:
        """Record the values of an integer solution; False if it is not one (no certificate)."""
        m = self.m
        ax = m.A @ x
        if ((ax < m.lb - 1e-6) | (ax > m.ubr + 1e-6)).any() or (x < -1e-9).any() or (x > m.ub + 1e-9).any():
            return False
        if np.abs(x - np.rint(x)).max() > 1e-9:
            return False
        if len(m.score_q):
            t = np.rint(m.S @ x).astype(np.int64)
            np.minimum(m.obs_lo, t, out=m.obs_lo)
            np.maximum(m.obs_hi, t, out=m.obs_hi)
            m.score_state[(m.obs_hi - m.obs_lo >= m.score_k) & (m.score_state == 0)] = 1
        if len(m.ans_var):
            m.ans_state[(x[m.ans_var] < m.ans_m - 0.5) & (m.ans_state == 0)] = 1
        return True

    def walk(self, steps: int, patience: int):
        """Moves from the truth, then from a chain of solutions, each a random feasible move away
        from the last (preferring moves of classes with undecided quantities); it stops after
        ``patience`` steps that decide nothing."""
        m = self.m
        base = m.truth
        self.explore(base, None, combine=False)  # single changes of every class first
        idle, last = 0, self.undecided()
        for _ in range(steps):
            V = self.explore(base, self.focus())
            now = self.undecided()
            idle = 0 if now < last else idle + 1
            last = now
            if V is None or not now or idle >= patience:
                return
            und = np.zeros(m.Q, bool)
            und[m.score_q[m.score_state == 0]] = True
            und[m.ans_q[m.ans_state == 0]] = True
            touch = np.zeros(V.shape[1], bool)
            coo = V.tocoo()
            touch[coo.col[und[m.var_class[coo.row]]]] = True
            pick = np.flatnonzero(touch) if touch.any() else np.arange(V.shape[1])
            base = base + V[:, int(self.rng.choice(pick))].toarray().ravel()

    def explore(self, base: np.ndarray, focus: np.ndarray | None = None, combine: bool = True):
        """Observe every feasible move from ``base`` (of the ``focus`` classes) and compose moves
        for undecided scores."""
        m = self.m
        targets = np.zeros(m.Q, bool)
        targets[m.score_q[m.score_state == 0]] = True
        targets[m.ans_q[m.ans_state == 0]] = True
        V, AV = _moves(m, base, focus, targets, combine)
        if not V.shape[1]:
            return None
        dT = None
        if len(m.score_q):
            t0 = m.S @ base
            dT = (m.S @ V).tocsr()
            up = dT.max(axis=1).toarray().ravel()
            dn = dT.min(axis=1).toarray().ravel()
            np.maximum(m.obs_hi, np.rint(t0 + up).astype(np.int64), out=m.obs_hi)
            np.minimum(m.obs_lo, np.rint(t0 + dn).astype(np.int64), out=m.obs_lo)
            m.score_state[(m.obs_hi - m.obs_lo >= m.score_k) & (m.score_state == 0)] = 1
        if len(m.ans_var):
            low = base[m.ans_var] + V[m.ans_var].min(axis=1).toarray().ravel()
            m.ans_state[(low < m.ans_m - 0.5) & (m.ans_state == 0)] = 1
        if not len(m.score_q):
            return V
        ax = m.A @ base
        for s in np.flatnonzero(m.score_state == 0).tolist():
            cols = dT.indices[dT.indptr[s] : dT.indptr[s + 1]]
            vals = dT.data[dT.indptr[s] : dT.indptr[s + 1]]
            for sense in (+1, -1):  # add moves in one direction while they stay feasible
                keep = sense * vals > 0
                order = cols[keep][np.argsort(-sense * vals[keep], kind="stable")][:12]
                x, axc, moved = base.copy(), ax.copy(), False
                for c in order.tolist():
                    vi = V.indices[V.indptr[c] : V.indptr[c + 1]]
                    nv_ = x[vi] + V.data[V.indptr[c] : V.indptr[c + 1]]
                    if (nv_ < -1e-9).any() or (nv_ > m.ub[vi] + 1e-9).any():
                        continue
                    ri = AV.indices[AV.indptr[c] : AV.indptr[c + 1]]
                    nr = axc[ri] + AV.data[AV.indptr[c] : AV.indptr[c + 1]]
                    if ((nr < m.lb[ri] - 1e-9) | (nr > m.ubr[ri] + 1e-9)).any():
                        continue
                    x[vi], axc[ri], moved = nv_, nr, True
                if moved:
                    self.observe(x)
                if m.score_state[s]:
                    break
        return V

    def focus(self) -> np.ndarray:
        """The classes whose moves may decide something: partners of the undecided classes."""
        m = self.m
        und = np.zeros(m.Q, bool)
        und[m.score_q[m.score_state == 0]] = True
        und[m.ans_q[m.ans_state == 0]] = True
        return m.partner_matrix()[und].any(0)

    def undecided(self, q: int | None = None) -> int:
        m = self.m
        if q is None:
            return int((m.score_state == 0).sum() + (m.ans_state == 0).sum())
        return int(
            (m.score_state[m.score_of_class[q]] == 0).sum() + (m.ans_state[m.ans_of_class[q]] == 0).sum()
        )

    # -- phases
    def solve(self):
        """Certificates (a walk of moves from the truth; local searches, each followed by moves
        from its solution), then a proof for every quantity left."""
        m = self.m
        clock = time.perf_counter()

        def lap(name):
            nonlocal clock
            now = time.perf_counter()
            self.res.phases[name] = self.res.phases.get(name, 0.0) + now - clock
            clock = now

        self.walk(*_WALK)
        lap("moves")
        for cap in _ROUND_CAPS:
            for q in m.order.tolist():
                if not self.undecided(q):
                    continue
                nb = m.neighbourhood(q, cap, self.rng)
                for sign in (+1, -1):
                    if self.undecided(q):
                        x = self.local(nb, sign)
                        if x is not None and self.undecided():
                            self.explore(x, self.focus())
        for _ in range(_BATCH[1]):  # every undecided class and its groups together
            und = np.unique(np.r_[m.score_q[m.score_state == 0], m.ans_q[m.ans_state == 0]])
            if not len(und):
                break
            before = self.undecided()
            nb = np.unique(np.concatenate([m.neighbourhood(int(q), 8, self.rng) for q in und]))
            if len(nb) > _BATCH[0]:
                nb = np.union1d(und[: _BATCH[0] // 2], self.rng.choice(nb, _BATCH[0] // 2, replace=False))
            for sign in (+1, -1):
                x = self.local(nb, sign)
                if x is not None and self.undecided():
                    self.explore(x, self.focus())
            if self.undecided() >= before:
                break
        lap("local searches")
        for a in np.flatnonzero(m.ans_state == 0).tolist():
            if m.ans_state[a] == 0:
                self.decide_answer(a)
        for s in range(len(m.score_q)):
            if m.score_state[s] == 0:
                self.decide_score(s)
        lap("one quantity at a time")

    # -- proofs
    def parts(self) -> list[_Part]:
        """The relaxations to prove on, cheapest first: the rows of the groups of at most
        ``_SMALL`` respondents (for each size in turn), then the whole model."""
        if self._parts is None:
            m = self.m
            self._parts = []
            seen = -1
            for size in _SMALL:
                small = np.flatnonzero(m.row_n <= size)
                if seen < len(small) < m.n_release:
                    part = _Part(m, small)
                    if len(part.cols) <= 0.5 * m.nv:  # else the whole model is as cheap
                        self._parts.append(part)
                    seen = len(small)
            self._parts.append(_Part(m, np.arange(m.n_release)))
        return self._parts

    def _stages(self, q: int):
        """The relaxations holding class q: the small ones, and the whole model (last)."""
        parts = [p_ for p_ in self.parts() if q in p_.classes]
        return [p_ for p_ in parts if not p_.full], parts[-1]

    def decide_answer(self, a: int):
        """Pinned when the minimum of the true code's count is |q| on a relaxation; not pinned when
        a solution moves it. In order: LPs of the small relaxations, local searches, the LP of the
        whole model, MILPs of the small relaxations, the MILP of the whole model."""
        m = self.m
        q, v = int(m.ans_q[a]), int(m.ans_var[a])
        what = f"answer {m.fam.items[m.ans_j[a]]} of class {q}"
        small, full = self._stages(q)

        def proved(part, integer) -> bool | None:
            lo = part.bound(self, {v: 1.0}, integer, ("MILP" if integer else "LP") + " min " + what)
            if lo is None:
                return None
            if lo > m.ans_m[a] - (0.5 if integer else 1 - _EPS):
                m.ans_state[a] = 2
            elif integer and part.full:
                m.ans_state[a] = 1  # the full MILP's solution moved it (and was observed)
            return bool(m.ans_state[a])

        for part in small:
            if proved(part, False) is not False:
                return
        guided = [np.union1d(small[-1].moved_classes(m, _DECIDE_CAPS[0]), [q])] if small else []
        for nb in (*guided, *(m.neighbourhood(q, cap, self.rng) for cap in _DECIDE_CAPS)):
            if not m.ans_state[a]:
                self.local(nb, 1, only=("answer", a))
        if m.ans_state[a] or proved(full, False) is not False:
            return
        for part in [p_ for p_ in small if len(p_.cols) <= 0.3 * m.nv] + [full]:
            if proved(part, True) is not False:
                return

    def score_bound(self, s: int, sense: int, part: _Part, integer: bool) -> bool | None:
        """Tighten the outer bound of score quantity s (as T) on a relaxation; True when that makes
        it narrow, None after a timeout."""
        m = self.m
        row = m.S[s]
        what = f"{'MILP' if integer else 'LP'} {'min' if sense > 0 else 'max'} score of class {m.score_q[s]}"
        coef = dict(zip(row.indices.tolist(), (sense * row.data).tolist(), strict=True))
        v = part.bound(self, coef, integer, what)
        if v is None:
            return None
        if sense > 0:
            m.out_lo[s] = max(m.out_lo[s], math.ceil(v - _EPS))
        else:
            m.out_hi[s] = min(m.out_hi[s], math.floor(-v + _EPS))
        if m.out_hi[s] - m.out_lo[s] < m.score_k[s]:
            m.score_state[s] = 2
        return bool(m.score_state[s] == 2)

    def decide_score(self, s: int):
        """Narrow when a relaxation bounds the score within less than a scale point; wide when
        solutions a scale point apart are found. In order: LPs of the small relaxations, local
        searches, the LP of the whole model, MILPs of the small relaxations, the MILP of the
        whole model (whose optima are achieved: the exact range)."""
        m = self.m
        q = int(m.score_q[s])
        small, full = self._stages(q)
        guided = {}

        def bounds(part, integer) -> bool:
            """Both bounds on ``part``; True when decided (or after a timeout)."""
            for sense in (+1, -1):
                if m.score_state[s]:
                    return True
                if self.score_bound(s, sense, part, integer) is not False:
                    return True
                if not integer:
                    guided[sense] = np.union1d(part.moved_classes(m, _DECIDE_CAPS[0]), [q])
            return bool(m.score_state[s])

        for part in small:
            if bounds(part, False):
                return
        for sense in guided:
            if not m.score_state[s]:
                self.local(guided[sense], sense, only=("score", s))
        for cap in _DECIDE_CAPS:
            for sense in (+1, -1):
                if not m.score_state[s]:
                    self.local(m.neighbourhood(q, cap, self.rng), sense, only=("score", s))
        if m.score_state[s] or bounds(full, False):
            return
        for part in [p_ for p_ in small if len(p_.cols) <= 0.3 * m.nv]:
            if bounds(part, True):
                return
        if not bounds(full, True):
            m.exact_lo[s] = m.exact_hi[s] = True
            m.score_state[s] = 1 if m.out_hi[s] - m.out_lo[s] >= m.score_k[s] else 2

    def exact_range(self, s: int) -> bool:
        """Make the range of a narrow score exact (outer bounds met by solutions); False after a
        timeout."""
        m = self.m
        q = int(m.score_q[s])
        for sense in (+1, -1):
            if m.out_lo[s] == m.obs_lo[s] and m.out_hi[s] == m.obs_hi[s]:
                return True
            if (m.out_lo[s] == m.obs_lo[s]) if sense > 0 else (m.out_hi[s] == m.obs_hi[s]):
                continue
            self.local(m.neighbourhood(q, 60, self.rng), -sense, only=("score", s))
            for part in self.parts():
                if q not in part.classes:
                    continue
                done = (m.out_lo[s] == m.obs_lo[s]) if sense > 0 else (m.out_hi[s] == m.obs_hi[s])
                if done:
                    break
                if self.score_bound(s, sense, part, True) is None:
                    return False
        return m.out_lo[s] == m.obs_lo[s] and m.out_hi[s] == m.obs_hi[s]


class _Part:
    """The model restricted to some release rows (with the class sums of the classes they hold):
    a relaxation, so a bound proved on it holds for the whole model."""

    def __init__(self, m: _Model, rows: np.ndarray):
        sub = m.A[rows]
        classes = np.unique(m.var_class[sub.indices]) if sub.nnz else np.zeros(0, np.int64)
        self.classes = set(classes.tolist())
        cols = np.flatnonzero(np.isin(m.var_class, classes))
        extra = np.flatnonzero((m.row_class >= 0) & np.isin(m.row_class, classes))
        self.rows = np.r_[rows, extra]
        self.cols = cols
        self.pos = np.full(m.nv, -1, np.int64)
        self.pos[cols] = np.arange(len(cols))
        A = m.A[self.rows][:, cols]
        self.cons = LinearConstraint(A, m.lb[self.rows], m.ubr[self.rows])
        self.bounds = Bounds(np.zeros(len(cols)), m.ub[cols])
        self.full = len(cols) == m.nv and len(self.rows) == m.A.shape[0]

    def bound(self, solver: _Solver, coef: dict, integer: bool, what: str) -> float | None:
        """The minimum of sum(coef[v] * x[v]); None after a timeout (recorded)."""
        c = np.zeros(len(self.cols))
        for v, w in coef.items():
            c[self.pos[v]] += w
        opts = {"time_limit": solver.time_limit, "presolve": True, "disp": False}
        if integer:
            opts["mip_rel_gap"] = 1e-6
        r = milp(
            c,
            integrality=np.full(len(c), 1 if integer else 0),
            bounds=self.bounds,
            constraints=self.cons,
            options=opts,
        )
        if integer:
            solver.res.milp_solves += 1
        else:
            solver.res.lp_solves += 1
        if r.status == 2:
            raise AdversaryError(f"{solver.m.fam.name}: {what} is infeasible though the truth is not: a bug")
        if r.status != 0 or r.x is None:
            solver.res.timeouts.append(f"{solver.m.fam.name}: {what}: {r.message}")
            return None
        self.last_x = r.x
        if self.full and integer:
            solver.observe(np.rint(r.x))
        return float(r.fun)

    def moved_classes(self, m: _Model, cap: int) -> np.ndarray:
        """The classes the last solution changes most from the truth (at most ``cap``)."""
        d = np.abs(self.last_x - m.truth[self.cols])
        per = np.bincount(m.var_class[self.cols], weights=d, minlength=m.Q)
        top = np.argsort(-per, kind="stable")[:cap]
        return top[per[top] > 1e-9]


# --------------------------------------------------------------------------- singled out


def _findings(m: _Model, know: _Knowledge, q: int, target: str, kind: str, low, high, true, lin: _Lin):
    """One finding per member of class q; ``true(r)`` is respondent r's true value."""
    return [
        Finding(
            wave=str(know.wave[r]),
            respondent=str(know.rid[r]),
            team=str(know.team[r]),
            target=target,
            kind=kind,
            low=low,
            high=high,
            true=true(r),
            group=lin.label,
            class_size=int(m.size[q]),
        )
        for r in m.members[q]
    ]


def _derived(label: str) -> bool:
    """A constraint derived from a row (an inverted estimate, a mean given by a change)."""
    return label.endswith(("(inverted)", "(previous mean)", "(current mean)"))


def _attributed(groups: list[_Lin], size: Callable[[_Lin], int], apart: Callable[[_Lin], bool | None]):
    """The published group a narrow score range or a pinned answer is read against, and whether the
    respondent stands apart in it (True), shares it with the whole group (False) or is undecided.

    A finding is a group disclosure when some published group holding the respondent shares it
    whole: that group's own rows (a unanimous team's item mean of 4.00, say) tell the same of all
    its members, even where a smaller group (a cut of five managers) also holds the respondent.
    Groups are tried from the smallest (a published row before a derived one, then by label).
    Otherwise the finding is undecided if it is undecided in some group, and else the respondent is
    singled out in the smallest group."""
    order = sorted(groups, key=lambda x: (size(x), _derived(x.label), x.label))
    undecided = None
    for g in order:
        verdict = apart(g)
        if verdict is False:
            return g, False
        if verdict is None and undecided is None:
            undecided = g
    if undecided is not None:
        return undecided, None
    return order[0], True


def _judge(m: _Model, solver: _Solver, know: _Knowledge, res: Attack):
    """Apply the singled-out rule to every narrow score and pinned answer of the model."""
    fam = m.fam
    score_of = {int(q): s for s, q in enumerate(m.score_q)}
    ans_of = {(int(q), int(j)): a for a, (q, j) in enumerate(zip(m.ans_q, m.ans_j, strict=True))}

    def holds(lin: _Lin, q: int) -> bool:
        return bool(m.in_group[q, m.group_index[lin.groups[0]]])

    # scores: the smallest published group of the construct (its mean, favourable share, or one
    # of its items' rows) holding the respondent, counting those with a score
    for s in np.flatnonzero(m.score_state == 2).tolist():
        q, k = int(m.score_q[s]), int(m.score_k[s])
        gi = [lin for lin in m.pub if holds(lin, q)]
        if not gi or not solver.exact_range(s):
            continue
        base = {id(lin): np.flatnonzero(know.group(*lin.groups[0]) & fam.scored) for lin in gi}
        a, b = int(m.out_lo[s]), int(m.out_hi[s])  # the exact range of q's score, times k

        def outside_of(lin: _Lin, q=q, k=k, a=a, b=b, base=base) -> bool | None:
            for r in np.unique(m.class_of_row[base[id(lin)]]).tolist():
                if r in (q, -1):
                    continue
                if r not in score_of:  # a class of several whose true scores span a scale point
                    return True
                t = score_of[r]
                kr = int(m.score_k[t])
                if m.obs_lo[t] * k < a * kr or m.obs_hi[t] * k > b * kr:  # seen outside
                    return True
                if m.out_lo[t] * k >= a * kr and m.out_hi[t] * k <= b * kr:  # proved inside
                    continue
                if not solver.exact_range(t):
                    return None
                if m.out_lo[t] * k < a * kr or m.out_hi[t] * k > b * kr:
                    return True
            return False

        lin, outside = _attributed(gi, lambda x, base=base: len(base[id(x)]), outside_of)
        if outside is None:
            continue
        found = _findings(m, know, q, fam.target, "score", a / k, b / k, lambda r: fam.T[r] / fam.k[r], lin)
        (res.singled_out if outside else res.group_disclosures).extend(found)
    # answers: the smallest published group of the item (its mean or shares) or of the construct
    # holding the respondent; a member without a valid answer is not pinned to the same code
    for a in np.flatnonzero(m.ans_state == 2).tolist():
        q, j, c = int(m.ans_q[a]), int(m.ans_j[a]), int(m.ans_c[a])
        cand = [
            lin
            for lin in m.pub
            if holds(lin, q)
            and ((lin.kind == "item" and lin.item == j) or (lin.kind == "score" and fam.scored[m.first[q]]))
        ]
        if not cand:
            continue

        def differs_in(lin: _Lin, q=q, j=j, c=c) -> bool:
            for r in np.unique(m.class_of_row[lin.members]).tolist():
                if r == q:
                    continue
                t = ans_of.get((r, j)) if r >= 0 else None
                if t is None or m.ans_c[t] != c or m.ans_state[t] != 2:
                    return True
            return False

        lin, differs = _attributed(cand, lambda x: x.n, differs_in)
        code, codes, truth = fam.codes[j][c], fam.codes[j], fam.truth[:, j]
        found = _findings(
            m,
            know,
            q,
            fam.items[j],
            "answer",
            code,
            code,
            lambda r, codes=codes, truth=truth: codes[truth[r]],
            lin,
        )
        (res.singled_out if differs else res.group_disclosures).extend(found)


# --------------------------------------------------------------------------- entry point


def attack(
    release: pd.DataFrame,
    view: Iterable[str] | str,
    responses: pd.DataFrame,
    survey,
    units: pd.DataFrame,
    *,
    waves: Iterable[str] | None = None,
    policy: Mapping | None = None,
    time_limit: float = 20.0,
    targets: Iterable[str] | None = None,
    seed: int = 0,
    mean: str = "pooled",
    derived: str = "shown",
    decimals: Mapping[str, int] | None = None,
) -> Attack:
    """Attack the rows that the audiences of ``view`` see (together).

    Parameters
    ----------
    release : DataFrame
        A release table (:func:`toolkit.release`); only the rows of ``view`` are used.
    view : str or iterable of str
        Audience names (``manager:t01``, ``leader:dep03``, ``analyst``).
    responses : DataFrame
        The canonical responses behind the release (the true answers; the attacker's knowledge is
        taken from them as the module documentation says).
    survey : Survey
    units : DataFrame
    waves : iterable of str, optional
        Attack these waves only (default: every wave of the view's rows).
    policy : mapping, optional
        The release's policy (its decimals); default :data:`toolkit.privacy.disclosure.DEFAULT_POLICY`.
    time_limit : float
        Seconds per solve; a solve that hits it is a timeout.
    targets : iterable of str, optional
        Only these constructs (and ``meeting_length``); default all.
    seed : int
        Seed of the random objectives (the result is deterministic).
    mean : {"pooled", "scores"}
        How the release defines a construct mean: pooled valid answers (the release's) or the
        mean of the respondents' scores (an old definition; for weakened releases in the tests).
    derived : {"shown", "exact"}
        What the release feeds into ``change``, ``change_low/high`` and ``eb_*``: the shown
        (rounded) means, as it does, or the exact means (a weakened release in the tests).
    decimals : mapping, optional
        Decimals shown of ``eb`` (the three ``eb_*`` rows) or ``change`` (with its interval), when
        they differ from the policy's ``mean_decimals`` (a weakened release).

    Returns
    -------
    Attack
    """
    t0 = time.perf_counter()
    view = (view,) if isinstance(view, str) else tuple(view)
    pol = load_policy(policy)
    rel = release[release["audience"].astype("str").isin(view)]
    missing = sorted(set(view) - set(rel["audience"].astype("str")))
    if missing:
        raise ValueError(f"view names audiences with no rows in the release: {missing}")
    wave_col = release["wave"]
    wave_order = (
        [str(w) for w in wave_col.cat.categories]
        if isinstance(wave_col.dtype, pd.CategoricalDtype)
        else sorted(wave_col.astype("str").unique().tolist())
    )
    rows = rel[["wave", "unit", "cut", "measure", "value", "n"]].astype(
        {"wave": "str", "unit": "str", "cut": "str", "measure": "str"}
    )
    if waves is not None:
        waves = [str(w) for w in waves]
        rows = rows[rows["wave"].isin(waves)]
    dup = rows.drop_duplicates()
    key = ["wave", "unit", "cut", "measure"]
    clash = dup[dup.duplicated(key, keep=False)]
    if len(clash):
        raise AdversaryError(f"audiences of the view see different values for {clash.iloc[0].to_dict()}")
    rows = dup.sort_values(key, kind="stable", ignore_index=True)
    used_waves = sorted(rows["wave"].unique().tolist())
    resp = responses[responses["wave"].astype("str").isin(used_waves)]
    know = _Knowledge(resp, survey, units)
    res = Attack(view, tuple(used_waves), rows=len(rows))
    shown = {
        (w, u, c, m): float(v)
        for w, u, c, m, v in rows[["wave", "unit", "cut", "measure", "value"]].itertuples(index=False)
        if m.endswith(":mean") or m.endswith(":change")
    }
    b = _Builder(know, pol, shown, wave_order)
    if mean not in ("pooled", "scores") or derived not in ("shown", "exact"):
        raise ValueError(f"mean must be pooled or scores, derived shown or exact; got {mean!r}, {derived!r}")
    b.mean, b.derived, b.decimals = mean, derived, dict(decimals or {})
    item_ids = {it.id for it in survey.items}
    covered = np.zeros(len(know.wave), bool)
    for w, u, c, m, v, n in rows.itertuples(index=False):
        row = _Row(w, u, c, m, float(v), int(n))
        kind, target, rest = _parse(m, survey, item_ids)
        handler = MEASURES.get(kind)
        if handler is None or (kind == ("item", "share") and not rest):
            raise UnknownMeasure(
                f"the adversary does not know the measure {m!r} (row {row}); add its constraint to MEASURES"
            )
        handler(b, row, target, rest)
        covered |= know.group(w, u, c)
    res.respondents = int(covered.sum())
    res.skipped = dict(sorted(b.skipped.items()))
    wanted = None if targets is None else set(targets)
    rng = np.random.default_rng(seed)
    for target in sorted(b.lins, key=lambda t: (t not in survey.constructs, t)):
        if wanted is not None and target not in wanted:
            continue
        fam = know.family(target)
        for lins in _components(b.lins[target]):
            model = _Model(fam, lins, know)
            res.models += 1
            res.unknowns += model.nv
            res.classes += model.Q
            res.constraints += model.A.shape[0]
            if model.nv == 0:
                continue
            solver = _Solver(model, res, time_limit, rng)
            solver.solve()
            clock = time.perf_counter()
            _judge(model, solver, know, res)
            res.phases["judging"] = res.phases.get("judging", 0.0) + time.perf_counter() - clock
    res.singled_out.sort(key=lambda f: (f.wave, f.target, f.kind, f.respondent))
    res.group_disclosures.sort(key=lambda f: (f.wave, f.target, f.kind, f.respondent))
    res.seconds = time.perf_counter() - t0
    return res


def _components(lins: list[_Lin]) -> list[list[_Lin]]:
    """Split constraints into groups of waves that no constraint links."""
    parent: dict[str, str] = {}

    def find(w):
        while parent.setdefault(w, w) != w:
            w = parent[w]
        return w

    for lin in lins:
        for w in lin.waves[1:]:
            parent[find(w)] = find(lin.waves[0])
        find(lin.waves[0])
    comps: dict[str, list[_Lin]] = {}
    for lin in lins:
        comps.setdefault(find(lin.waves[0]), []).append(lin)
    return [comps[k] for k in sorted(comps)]


def sample_release(survey, store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The sample's four waves as the project releases them: each Qualtrics export of
    ``data/sample`` ingested into ``store`` (pseudonymised, validated), then
    :func:`toolkit.privacy.publish.release_store` with the roster (response rates included).
    Returns the stored responses, the units and the release (what the test suite and
    ``bench/bench_privacy.py --sample`` attack)."""
    import toolkit
    from toolkit.ingest.pipeline import ingest
    from toolkit.privacy.publish import release_store
    from toolkit.simulate import pseudonym_key

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    roster = pd.read_csv(sample / "roster.csv", dtype="str")
    for w in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
        ingest(
            sample / "exports" / f"qualtrics_{w}.csv",
            survey,
            roster=roster[roster["wave"] == w],
            wave=w,
            store=store,
            key=pseudonym_key(2026),
            report=False,
        )
    responses = toolkit.load_waves(store, survey=survey)
    units = pd.read_csv(sample / "units.csv")
    return responses, units, release_store(store, survey, units, roster=roster, responses=responses).release
