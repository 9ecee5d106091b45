"""The generative model: team sizes, 1:1 policies, latent constructs, calibration and estimands.

:func:`_structural` and :func:`_chain` give the latent constructs in causal order (the
formulas are in the docstring of :func:`toolkit.simulate.simulate`); :func:`_calibrate` fits
the residual variances to the target ICC on a Monte Carlo population and computes the true
population effects (``truth["estimands"]``) by counterfactuals on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from toolkit.simulate._plan import _curve_at, _Plan

_OUTCOMES = ("engagement", "growth", "trust", "intent_to_stay")
_LOG_SIZE_CENTRE, _LOG_SIZE_SCALE = math.log(8.0), 0.5
_CALIBRATION_SEED = 20_260_401
_CAL_TEAMS, _CAL_PAIRS = 100_000, 40_000


def _draw_from(rng: np.random.Generator, idx: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Draw a new index for each row from ``matrix[idx]`` (rows are probabilities)."""
    cum = np.cumsum(matrix, axis=1)[idx]
    u = rng.random(len(idx))
    return np.minimum((u[:, None] > cum).sum(axis=1), matrix.shape[1] - 1)


def _structural(
    k: str, env: Mapping[str, np.ndarray], eta: Mapping[str, np.ndarray], par: Mapping[str, Any]
) -> np.ndarray:
    """The structural part of construct ``k`` (everything but its residual)."""
    cad, z = env["cad"], env["z"]
    if k == "availability":
        return par["size_on_availability"] * z
    if k == "informal_contact":
        return par["availability_on_informal"] * eta["availability"]
    if k == "reliability":
        return par["rel_c"][cad] + par["size_on_reliability"] * z
    if k == "depth":
        return (
            par["dep_c"][cad]
            + par["dep_len"][env["len"]]
            + par["size_on_depth"] * z
            + par["division_on_depth"] * env["cult"]
            + par["informal_on_depth"] * eta["informal_contact"]
        )
    if k == "holding_back":
        a = eta["availability"]
        return par["availability_on_holding_back"] * a - par["only_channel"] * par["freq"][cad] * a
    if k in _OUTCOMES:
        return (
            par["depth_on_outcomes"] * eta["depth"]
            + par["reliability_on_outcomes"] * eta["reliability"]
            + par["availability_on_outcomes"] * eta["availability"]
            + par["out_c"][cad]
        )
    return np.zeros(len(z))


def _chain(
    plan: _Plan,
    env: Mapping[str, np.ndarray],
    resid: Mapping[str, np.ndarray],
    *,
    shift: Mapping[str, float] | None = None,
    fix: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """All latent constructs in causal order; ``shift`` adds to a construct, ``fix`` sets it."""
    eta: dict[str, np.ndarray] = {}
    for k in plan.order:
        if fix and k in fix:
            eta[k] = np.full(len(env["z"]), float(fix[k]))
            continue
        x = _structural(k, env, eta, plan.par) + resid[k]
        eta[k] = x + shift[k] if shift and k in shift else x
    return eta


def _z_size(sizes: np.ndarray) -> np.ndarray:
    return (np.log(np.maximum(sizes, 1)) - _LOG_SIZE_CENTRE) / _LOG_SIZE_SCALE


def _team_sizes(rng: np.random.Generator, n: int, mix: tuple[float, float, float]) -> np.ndarray:
    kind = rng.choice(3, size=n, p=np.asarray(mix, float))
    small = rng.integers(1, 4, size=n)
    regular = 4 + rng.binomial(8, 0.45, size=n)
    large = 15 + rng.poisson(6, size=n)
    return np.choose(kind, [small, regular, large]).astype(np.int64)


def _policy(f: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Policy index (0 = most frequent) from the propensity to meet often."""
    return len(cuts) - np.searchsorted(cuts, f, side="right")


@dataclass(frozen=True)
class _Calibration:
    cuts: np.ndarray
    tau: Mapping[str, float]  # team SD
    person: Mapping[str, float]  # persistent person SD
    occasion: Mapping[str, float]  # occasion SD
    components: Mapping[str, dict]
    estimands: Mapping[str, Any]


def _calibrate(plan: _Plan, des: Mapping[str, Any], icc: float) -> _Calibration:
    """Fit the residual variances to ``icc`` and compute the population estimands.

    A Monte Carlo population of pairs of reports (two per team, teams drawn in proportion
    to their size) with its own fixed seed, so the truth depends only on the parameters:
    the covariance of a pair is the between-team variance, so each construct's observed
    score ICC(1) is Cov(h(eta_1), h(eta_2)) / (Var h(eta) + E Var(score | eta)).
    """
    rng = np.random.default_rng(_CALIBRATION_SEED)
    par = plan.par
    sizes = _team_sizes(rng, _CAL_TEAMS, des["size_mix"])
    z_t = _z_size(sizes)
    cult_t = rng.standard_normal(_CAL_TEAMS)
    f = par["division_on_cadence"] * cult_t - par["size_on_cadence"] * z_t + rng.standard_normal(_CAL_TEAMS)
    rare_first = np.cumsum(plan.cad_shares[::-1])[:-1]
    cuts = np.quantile(f, np.clip(rare_first, 0, 1))
    pol_t = _policy(f, cuts)
    len_t = rng.choice(len(plan.len_codes), size=_CAL_TEAMS, p=plan.len_shares)
    pick = rng.choice(_CAL_TEAMS, size=_CAL_PAIRS, p=sizes / sizes.sum())
    team = np.concatenate([pick, pick])
    env = {
        "cad": _draw_from(rng, pol_t[team], plan.cad_move),
        "len": _draw_from(rng, len_t[team], plan.len_move),
        "z": z_t[team],
        "cult": cult_t[team],
    }
    n = _CAL_PAIRS
    eta: dict[str, np.ndarray] = {}
    resid: dict[str, np.ndarray] = {}
    tau, person, occasion, comps = {}, {}, {}, {}
    for k in plan.order:
        zb = np.tile(rng.standard_normal(n), 2)
        zw = rng.standard_normal(2 * n)
        x = _structural(k, env, eta, par)
        xc = x - x.mean()
        v_team = float(np.mean(xc[:n] * xc[n:]))
        v_person = float(np.var(x)) - v_team
        hi = 1.0 - v_person - 0.02
        if hi <= max(v_team, 0.0):
            raise ValueError(
                f"effects explain too much of construct {k!r} (structural variance "
                f"{v_team + v_person:.2f} of a total of 1); lower the effects on it"
            )
        curve = plan.curves.get(k)

        def obs_icc(rho: float, x=x, zb=zb, zw=zw, curve=curve, v_team=v_team, v_person=v_person) -> float:
            e = x + math.sqrt(max(rho - v_team, 0.0)) * zb + math.sqrt(1 - rho - v_person) * zw
            h = _curve_at(e, curve[0])
            hc = h - h.mean()
            return float(np.mean(hc[:n] * hc[n:]) / (np.var(h) + np.mean(_curve_at(e, curve[1]))))

        lo = max(v_team, 0.0)
        if curve is None:
            rho = max(icc, lo)
            floor = expected = None
        else:
            floor = obs_icc(lo)
            if floor >= icc:
                rho = lo
            elif obs_icc(hi) < icc:
                raise ValueError(f"icc {icc} cannot be reached for construct {k!r} with these effects")
            else:
                rho = optimize.brentq(lambda r, f=obs_icc: f(r) - icc, lo, hi, xtol=1e-6)
            expected = obs_icc(rho)
        if rho > hi:
            raise ValueError(f"icc {icc} cannot be reached for construct {k!r} with these effects")
        t2, p2 = rho - lo, 1 - rho - v_person
        tau[k] = math.sqrt(t2)
        person[k] = math.sqrt(p2 * par["person_persistence"])
        occasion[k] = math.sqrt(p2 * (1 - par["person_persistence"]))
        resid[k] = tau[k] * zb + math.sqrt(p2) * zw
        eta[k] = x + resid[k]
        comps[k] = {
            "team_variance": t2,
            "person_variance": person[k] ** 2,
            "occasion_variance": occasion[k] ** 2,
            "structural_team_variance": v_team,
            "structural_person_variance": v_person,
            "icc_latent": rho,
            "icc_score": expected,
            "icc_floor": floor,
        }
    estimands = _estimands(plan, env, resid)
    return _Calibration(cuts, tau, person, occasion, comps, estimands)


def _estimands(plan: _Plan, env: dict[str, np.ndarray], resid: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Population effects, by counterfactuals on the calibration population."""
    codes, curves = plan.cad_codes, plan.curves

    def means(eta: Mapping[str, np.ndarray]) -> dict[str, tuple[float | None, float]]:
        return {
            k: (
                float(np.mean(_curve_at(eta[k], curves[k][0]))) if k in curves else None,
                float(np.mean(eta[k])),
            )
            for k in eta
        }

    def diff(a: Mapping, b: Mapping, k: str) -> dict[str, float | None]:
        sa, la = a[k]
        sb, lb = b[k]
        return {"score": None if sa is None else sa - sb, "latent": round(la - lb, 12)}

    n = len(env["z"])
    by_code = {c: means(_chain(plan, {**env, "cad": np.full(n, i)}, resid)) for i, c in enumerate(codes)}
    by_policy = {}
    for i, c in enumerate(codes):
        by_policy[c] = {
            k: (
                None
                if by_code[c][k][0] is None
                else sum(plan.cad_move[i, j] * by_code[cj][k][0] for j, cj in enumerate(codes)),
                sum(plan.cad_move[i, j] * by_code[cj][k][1] for j, cj in enumerate(codes)),
            )
            for k in plan.order
        }
    out: dict[str, Any] = {}
    ref = "monthly" if "monthly" in codes else None
    if ref and "weekly" in codes:
        out["depth_weekly_vs_monthly"] = {
            "definition": "expected difference in the depth construct score (mean of its items on their "
            "scale, after reverse keying) between reports who have weekly and reports who have "
            "monthly 1:1s (the cadence they report), holding team size, division and person "
            "effects fixed; latent: the same on the latent depth scale (SD 1)",
            **diff(by_code["weekly"], by_code["monthly"], "depth"),
        }
    if ref:
        out["cadence_contrasts"] = {
            "definition": "for each construct and cadence code: expected difference in the construct score "
            "(and latent score) between reports with that cadence and with monthly 1:1s, "
            "holding team size, division and person effects fixed; by_reported uses the "
            "cadence the report experiences and reports, by_policy the manager's policy "
            "(reports' disagreement included)",
            "reference": ref,
            "by_reported": {k: {c: diff(by_code[c], by_code[ref], k) for c in codes} for k in plan.order},
            "by_policy": {k: {c: diff(by_policy[c], by_policy[ref], k) for c in codes} for k in plan.order},
        }
    base = means(_chain(plan, env, resid))

    def shifted(k_from: str, k_to: str) -> dict[str, float | None]:
        return diff(means(_chain(plan, env, resid, shift={k_from: 1.0})), base, k_to)

    out["availability_on_holding_back"] = {
        "definition": "expected change in the holding_back score when latent availability rises by 1 SD, "
        "everything else fixed (averaged over the cadence distribution)",
        **shifted("availability", "holding_back"),
    }
    out["informal_on_depth"] = {
        "definition": "expected change in the depth score when latent informal contact rises by 1 SD, "
        "everything else fixed (0: informal contact does not substitute for depth)",
        **shifted("informal_contact", "depth"),
    }
    out["depth_on_outcomes"] = {
        "definition": "expected change in each outcome score when latent depth rises by 1 SD, everything "
        "else fixed",
        **{k: shifted("depth", k) for k in _OUTCOMES},
    }
    if ref and "weekly" in codes:
        cell = {}
        for a in (-1.0, 1.0):
            w = means(
                _chain(
                    plan, {**env, "cad": np.full(n, codes.index("weekly"))}, resid, fix={"availability": a}
                )
            )
            m = means(
                _chain(
                    plan, {**env, "cad": np.full(n, codes.index("monthly"))}, resid, fix={"availability": a}
                )
            )
            cell[a] = diff(w, m, "holding_back")
        out["only_channel"] = {
            "definition": "weekly minus monthly difference in the holding_back score among reports whose "
            "latent availability is 1 SD below the mean (low_availability) and 1 SD above "
            "(high_availability), and low minus high (difference): holding back is higher "
            "where the 1:1 is the only channel",
            "low_availability": cell[-1.0],
            "high_availability": cell[1.0],
            "difference": {
                s: (None if cell[-1.0][s] is None else cell[-1.0][s] - cell[1.0][s])
                for s in ("score", "latent")
            },
        }
    if "up_to_15" in plan.len_codes and "about_30" in plan.len_codes:

        def at_length(code: str) -> dict:
            return means(_chain(plan, {**env, "len": np.full(n, plan.len_codes.index(code))}, resid))

        out["short_vs_30min_on_depth"] = {
            "definition": "expected difference in the depth score between reports whose 1:1s last 15 minutes "
            "or less and about 30 minutes, everything else fixed",
            **diff(at_length("up_to_15"), at_length("about_30"), "depth"),
        }
    return out
