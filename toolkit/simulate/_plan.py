"""The survey as a plan: what the simulation needs to know of each item and construct.

:class:`_Plan` holds, per item, its codes, the thresholds that cut a latent response onto
them and its offset; per construct, the curves of the expected score and its variance given
the latent score; the cadence and length codes with their shares and the chances that a
report experiences a neighbouring code; the demographic items; and the effects as arrays
over the codes.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from toolkit.survey import CADENCE_CODES, Survey

_KNOWN = (
    "availability",
    "informal_contact",
    "reliability",
    "depth",
    "holding_back",
    "engagement",
    "growth",
    "trust",
    "intent_to_stay",
)
#: 1:1s per week of each cadence, relative to weekly (the "only channel" term uses it).
_FREQUENCY = {"weekly": 1.0, "biweekly": 0.5, "monthly": 12 / 52, "less_than_monthly": 0.1, "none": 0.0}
_LENGTH_CODES = ("up_to_15", "about_30", "about_45", "60_plus")
_GRID = np.linspace(-8.0, 8.0, 1601)
_DEMOGRAPHIC_SHARES = {
    ("under_1y", "1_to_3y", "over_3y"): (0.20, 0.35, 0.45),
    ("office", "hybrid", "remote"): (0.35, 0.45, 0.20),
    ("individual", "senior", "manager"): (0.65, 0.27, 0.08),
}
#: Joiners' answers where they differ from everyone's (a joiner has been here under a year).
_JOINER_SHARES = {("under_1y", "1_to_3y", "over_3y"): (1.0, 0.0, 0.0)}


@dataclass(frozen=True)
class _ItemPlan:
    id: str
    kind: str
    role: str | None
    construct: str | None
    required: bool
    codes: np.ndarray | None  # substantive codes, in order
    allowed: tuple | None  # substantive then not-applicable codes
    na_code: Any
    thresholds: np.ndarray | None  # ordinal: cut points of y* onto the codes
    offset: float
    reverse: bool


@dataclass(frozen=True)
class _Plan:
    survey: Survey
    items: tuple[_ItemPlan, ...]
    order: tuple[str, ...]  # latent constructs, in causal order
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]]  # construct -> (E[score|eta], Var[score|eta])
    cad_codes: tuple[str, ...]
    len_codes: tuple[str, ...]
    cad_shares: np.ndarray
    len_shares: np.ndarray
    cad_move: np.ndarray  # P(experienced | policy)
    len_move: np.ndarray
    demographics: tuple[tuple[str, tuple, np.ndarray, np.ndarray], ...]
    par: Mapping[str, Any]  # effects as arrays over codes

    @staticmethod
    def build(survey: Survey, eff: Mapping[str, Any], des: Mapping[str, Any]) -> _Plan:
        loading = eff["loading"]
        items = tuple(_item_plan(survey, it) for it in survey.items)
        order = _KNOWN + tuple(k for k in survey.constructs if k not in _KNOWN)
        by_id = {p.id: p for p in items}
        measured = {k: tuple(by_id[i] for i in c.items) for k, c in survey.constructs.items()}
        curves = {k: _score_curve(ps, loading) for k, ps in measured.items()}
        cad_item, len_item = survey.role_item("cadence"), survey.role_item("meeting_length")
        cad_codes = (
            CADENCE_CODES
            if cad_item is None
            else tuple(c for c in CADENCE_CODES if c in survey.scales[cad_item.scale].codes)
        )
        len_codes = _LENGTH_CODES if len_item is None else tuple(survey.scales[len_item.scale].codes)
        cad_shares = _shares(des["cadence_shares"], cad_codes, "design['cadence_shares']")
        len_shares = _shares(des["length_shares"], len_codes, "design['length_shares']", uniform_ok=True)
        demographics = []
        for it in survey.items_with_role("demographic"):
            codes = tuple(survey.scales[it.scale].codes)
            p = np.asarray(_DEMOGRAPHIC_SHARES.get(codes, np.full(len(codes), 1 / len(codes))), float)
            pj = np.asarray(_JOINER_SHARES.get(codes, p), float)
            demographics.append((it.id, codes, p / p.sum(), pj / pj.sum()))
        par = {
            "rel_c": np.array([eff["reliability_cadence"].get(c, 0.0) for c in cad_codes]),
            "dep_c": np.array([eff["depth_cadence"].get(c, 0.0) for c in cad_codes]),
            "out_c": np.array([eff["outcome_cadence"].get(c, 0.0) for c in cad_codes]),
            "dep_len": np.array([eff["depth_length"].get(c, 0.0) for c in len_codes]),
            "freq": np.array([_FREQUENCY[c] for c in cad_codes]),
            **{k: v for k, v in eff.items() if not isinstance(v, Mapping)},
        }
        return _Plan(
            survey,
            items,
            order,
            curves,
            cad_codes,
            len_codes,
            cad_shares,
            len_shares,
            _neighbour_matrix(len(cad_codes), des["disagreement"]),
            _neighbour_matrix(len(len_codes), des["length_disagreement"]),
            tuple(demographics),
            par,
        )


def _item_plan(survey: Survey, it: Any) -> _ItemPlan:
    scale = survey.scales.get(it.scale) if it.scale else None
    codes = thresholds = allowed = na = None
    if scale is not None:
        codes = np.array(scale.codes, dtype=object if scale.kind == "categorical" else float)
        allowed = tuple(scale.allowed)
        na = scale.na_codes[0] if scale.na_codes else None
        if scale.kind == "ordinal":
            k = len(scale.codes)
            p = 0.85 * special.comb(k - 1, np.arange(k)) * 0.6 ** np.arange(k) * 0.4 ** (k - 1 - np.arange(k))
            p = p + 0.15 / k
            thresholds = special.ndtri(np.cumsum(p)[:-1])
    offset = (zlib.crc32(it.id.encode()) % 1001) / 1000 * 0.5 - 0.25
    return _ItemPlan(
        it.id, it.kind, it.role, it.construct, it.required, codes, allowed, na, thresholds, offset, it.reverse
    )


def _score_curve(plans: tuple[_ItemPlan, ...], loading: float) -> tuple[np.ndarray, np.ndarray]:
    """E[score | eta] and Var[score | eta] on a grid of eta (score = mean of keyed items)."""
    sd = math.sqrt(1 - loading**2)
    mean = np.zeros_like(_GRID)
    var = np.zeros_like(_GRID)
    for p in plans:
        ge = special.ndtr((loading * _GRID[:, None] + p.offset - p.thresholds[None, :]) / sd)
        ones = np.ones((len(_GRID), 1))
        probs = -np.diff(np.hstack([ones, ge, 0 * ones]), axis=1)
        m = probs @ p.codes
        mean += m
        var += probs @ p.codes**2 - m**2
    return mean / len(plans), var / len(plans) ** 2


def _curve_at(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table`` (values on :data:`_GRID`, evenly spaced) at ``x``."""
    step = _GRID[1] - _GRID[0]
    pos = np.clip((x - _GRID[0]) / step, 0, len(_GRID) - 1.000001)
    i = pos.astype(np.int64)
    frac = pos - i
    return table[i] * (1 - frac) + table[i + 1] * frac


def _shares(given: Mapping[str, float], codes: tuple, name: str, *, uniform_ok: bool = False) -> np.ndarray:
    p = np.array([given.get(c, 0.0) for c in codes], float)
    if p.sum() <= 0:
        if not uniform_ok:
            raise ValueError(f"{name} gives no positive share to any of the survey's codes {list(codes)}")
        p = np.ones(len(codes))
    return p / p.sum()


def _neighbour_matrix(n: int, rate: float) -> np.ndarray:
    m = np.eye(n) * (1 - rate)
    for i in range(n):
        nb = [j for j in (i - 1, i + 1) if 0 <= j < n]
        if not nb:
            m[i, i] = 1.0
        for j in nb:
            m[i, j] = rate / len(nb)
    return m
