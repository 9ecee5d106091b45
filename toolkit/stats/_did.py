"""The estimators of :mod:`toolkit.stats.switches` (private): two-way fixed effects, de Chaisemartin and
D'Haultfoeuille's DID_M with switcher-level influence functions, Callaway and Sant'Anna cells, the event
study and its joint pre-trend test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

_DIRECTIONS = (("on", 0.0, 1.0), ("off", 1.0, -1.0))  # (name, baseline D, sign of treated - control)


# --------------------------------------------------------------------------- estimators

_ONE_TEAM = (
    "one {what}: no SE, as a single team's change cannot be told apart from that team's own "
    "wave-to-wave noise"
)


def _normal_ci(df: pd.DataFrame, z: float) -> pd.DataFrame:
    e, s = df["estimate"].to_numpy(float), df["se"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(e / s))
    return df.assign(ci_low=e - z * s, ci_high=e + z * s, p_val=p)


def _t_ci(df: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Intervals and p-values from Student t on the ``df`` column (inf: normal; NaN: none)."""
    e, s, dof = (df[c].to_numpy(float) for c in ("estimate", "se", "df"))
    q, p = np.full(len(df), np.nan), np.full(len(df), np.nan)
    normal, t = np.isinf(dof), np.isfinite(dof) & (dof > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(e / s)
        q[normal], p[normal] = stats.norm.ppf(1 - alpha / 2), 2 * stats.norm.sf(ratio[normal])
        q[t], p[t] = stats.t.ppf(1 - alpha / 2, dof[t]), 2 * stats.t.sf(ratio[t], dof[t])
    return df.assign(ci_low=e - q * s, ci_high=e + q * s, p_val=p)


@dataclass(frozen=True)
class _Estimate:
    r"""A mean of switcher contrasts and its influence function (IF), in two parts.

    ``switcher``: :math:`\sum_{k \in i} (x_k - \hat\theta)/N` for each team *i* (the
    deviations of its contrasts from the estimate); ``control``: the comparison groups' part;
    ``teams``: the G teams behind the contrasts (the clusters); ``n``: the N contrasts.
    """

    estimate: float
    switcher: np.ndarray
    control: np.ndarray
    teams: np.ndarray
    n: int

    @property
    def n_teams(self) -> int:
        return int(self.teams.sum())

    def influence(self) -> np.ndarray:
        """Per-team IF with the switcher part scaled by sqrt(G / (G - 1)); NaN when G < 2."""
        g = self.n_teams
        if g < 2:
            return np.full(len(self.teams), np.nan)
        return np.sqrt(g / (g - 1)) * self.switcher + self.control

    def se(self) -> float:
        inf = self.influence()
        return float(np.sqrt(inf @ inf))

    def df(self) -> float:
        return float(self.n_teams - 1) if self.n_teams > 1 else np.nan


def _fe_ols(y, X, team, wave, names):
    """OLS of y on X with team and wave dummies (Frisch-Waugh: X and wave dummies demeaned within team).

    Returns (coefficients of [X, wave dummies], residuals, rows of (Z'Z)^+ Z' for X, K, G).
    """
    _, team = np.unique(team, return_inverse=True)
    G = team.max() + 1
    W = np.eye(wave.max() + 1)[wave][:, 1:]
    Z = np.column_stack([X, W])
    cnt = np.bincount(team, minlength=G)

    def within(a):
        a = np.asarray(a, float).reshape(len(team), -1)
        means = np.stack([np.bincount(team, weights=col, minlength=G) for col in a.T], axis=1) / cnt[:, None]
        return a - means[team]

    Zt, yt = within(Z), within(y)[:, 0]
    k = X.shape[1]
    rank = np.linalg.matrix_rank(Zt)
    if np.linalg.matrix_rank(Zt[:, k:]) + k > rank:
        raise ValueError(
            f"{names} do not vary within teams beyond the wave effects (team and wave effects absorb them)"
        )
    B = np.linalg.pinv(Zt.T @ Zt)
    coef = B @ Zt.T @ yt
    resid = yt - Zt @ coef
    return coef, resid, (B @ Zt.T)[:k], G + rank, G, team


def _twfe(persons: pd.DataFrame, panel: pd.DataFrame, covariates: list[str], z: float) -> pd.DataFrame:
    rows = []
    for level, data in (("person", persons), ("team_wave_mean", panel)):
        X = data[["d", *covariates]].to_numpy(float)
        team = data["team"].to_numpy()
        wave = pd.factorize(data["wave"], sort=True)[0]
        coef, e, H, K, G, tcode = _fe_ols(data["y"].to_numpy(float), X, team, wave, ["d", *covariates])
        N = len(e)
        h = H[0]
        se_iid = np.sqrt(np.sum(e**2) / (N - K) * np.sum(h**2))
        v0n = np.sum(np.bincount(tcode, weights=h * e, minlength=G) ** 2)
        rows.append(
            {
                "level": level,
                "estimate": coef[0],
                "se_iid": se_iid,
                "se_cl_hc0": np.sqrt(G / (G - 1) * v0n),
                "se_cl_hc1": np.sqrt(G / (G - 1) * (N - 1) / (N - K) * v0n),
                "n_obs": N,
                "n_teams": G,
                "k": K,
                "resid_df": N - K,
            }
        )
    out = pd.DataFrame(rows)
    out = _normal_ci(out.assign(se=out["se_cl_hc1"]), z).drop(columns="se")
    cols = ["level", "estimate", "se_iid", "se_cl_hc0", "se_cl_hc1", "ci_low", "ci_high", "p_val"]
    return out[[*cols, "n_obs", "n_teams", "k", "resid_df"]]


def _cells(Y, D, first, wave_labels, treated, control, alpha):
    """Group-time cells, each cell's (treated, contrasts, control IF), and the teams of e = 0 cells."""
    n, T = Y.shape
    known = ~np.isnan(D)
    base_d = D[np.arange(n), known.argmax(axis=1)]
    rows, parts, members = [], [], np.zeros(n, bool)  # members: teams in an e = 0 cell
    for direction, b0, sign in _DIRECTIONS:
        grp = base_d == b0
        for g in range(1, T):
            b = g - 1
            for t in range(T):
                if t == b:
                    continue
                obs = ~np.isnan(Y[:, t]) & ~np.isnan(Y[:, b])
                tr = grp & (first == g) & obs
                co = grp & (first > max(t, b)) & (first != g) & obs
                if not tr.any():
                    continue
                dy, e_ = Y[:, t] - Y[:, b], t - g
                m_t = dy[tr].mean()
                m_c = dy[co].mean() if co.any() else np.nan
                contrast = np.where(tr, dy - m_c, 0.0)  # each treated team against the controls' mean
                ctl = np.zeros(n)
                ctl[co] = -(dy[co] - m_c) / max(co.sum(), 1)
                parts.append((tr, contrast, ctl))
                members |= tr | co if e_ == 0 else False
                rows.append(
                    {
                        "direction": direction,
                        "from": control if direction == "on" else treated,
                        "to": treated if direction == "on" else control,
                        "g": wave_labels[g],
                        "t": wave_labels[t],
                        "base": wave_labels[b],
                        "e": t - g,
                        "n_treated": int(tr.sum()),
                        "n_control": int(co.sum()),
                        "mean_dy_treated": m_t,
                        "mean_dy_control": m_c,
                        "estimate": m_t - m_c,
                        "sign": sign,
                    }
                )
    cols = ["direction", "from", "to", "g", "t", "base", "e", "n_treated", "n_control", "mean_dy_treated"]
    cells = pd.DataFrame(rows, columns=[*cols, "mean_dy_control", "estimate", "sign"])
    se, dof, note = np.full(len(cells), np.nan), np.full(len(cells), np.nan), []
    for k in range(len(cells)):  # a cell alone: its IF is the deviation from its own mean
        if np.isnan(cells["estimate"].iloc[k]):
            note.append("no not-yet-switched control team")
            continue
        fit = _aggregate(cells, parts, np.arange(len(cells)) == k, signed=False)
        se[k], dof[k] = fit.se(), fit.df()
        note.append("" if fit.n_teams > 1 else _ONE_TEAM.format(what="treated team"))
    cells = _t_ci(cells.assign(se=se, df=dof), alpha)
    cells["estimate_treated_minus_control"] = cells["estimate"] * cells["sign"]
    cells["se_note"] = pd.Series(note, index=cells.index, dtype="str")
    order = [*cols, "mean_dy_control", "estimate", "se", "df", "ci_low", "ci_high", "p_val", "sign"]
    return cells[[*order, "estimate_treated_minus_control", "se_note"]].astype({"e": int}), parts, members


def _aggregate(cells, parts, sel, signed) -> _Estimate:
    r"""The cells' mean weighted by n_treated = the mean of their N treated team-cell contrasts.

    :math:`x_{ic} = s_c(\Delta Y_{ic} - \overline{\Delta Y}_{C_c})`, :math:`\hat\theta =
    \bar x`; switcher part of the IF :math:`\sum_{c \ni i}(x_{ic} - \hat\theta)/N`, control
    part :math:`\sum_c (n_c/N)\, s_c\, \mathrm{IF}^C_{ic}`.
    """
    idx = np.flatnonzero(sel & cells["estimate"].notna().to_numpy())
    nt = cells["n_treated"].to_numpy(float)[idx]
    sign = cells["sign"].to_numpy(float)[idx] if signed else np.ones(len(idx))
    N = nt.sum()
    est = float((nt / N * sign) @ cells["estimate"].to_numpy(float)[idx])
    n = len(parts[0][0])
    switcher, control, teams = np.zeros(n), np.zeros(n), np.zeros(n, bool)
    for k, s, m in zip(idx, sign, nt, strict=True):
        tr, contrast, ctl = parts[k]
        switcher[tr] += (s * contrast[tr] - est) / N
        control += m / N * s * ctl
        teams |= tr
    return _Estimate(est, switcher, control, teams, int(N))


def _event_study(cells, parts, alpha) -> tuple[pd.DataFrame, list[tuple]]:
    e = cells["e"].to_numpy()
    direc = cells["direction"].to_numpy()
    has = cells["estimate"].notna().to_numpy()
    rows, fits = [], {}
    variants = (
        ("pooled", np.ones(len(e), bool), True),
        ("on", direc == "on", False),
        ("off", direc == "off", False),
    )
    aggregates = [("event_time", ee, e == ee) for ee in sorted(set(e))] + [("overall_post", pd.NA, e >= 0)]
    for aggregate, ee, at in aggregates:
        for name, mask, signed in variants:
            sel = mask & at & has
            if not sel.any():
                continue
            fit = _aggregate(cells, parts, sel, signed)
            if aggregate == "event_time":
                fits[name, ee] = fit
            note = "" if fit.n_teams > 1 else _ONE_TEAM.format(what="treated team")
            row = (fit.estimate, fit.se(), fit.df(), fit.n, sel.sum(), fit.n_teams, note)
            rows.append((aggregate, name, ee, *row))
    cols = ["estimate", "se", "df", "n", "n_cells", "n_treated_teams", "se_note"]
    es = pd.DataFrame(rows, columns=["aggregate", "direction", "e", *cols])
    es = _t_ci(es.astype({"e": "Int64", "n_cells": int, "se_note": "str"}), alpha)
    es = es[["aggregate", "direction", "e", *cols[:2], "ci_low", "ci_high", "p_val", *cols[2:]]]
    pre = [_joint_pretrend(name, fits) for name, _, _ in variants]
    return es, [p for p in pre if p]


_PRETREND_COLUMNS = {
    "test": "str", "direction": "str", "event_times": "str", "statistic": float, "df": int,
    "f_statistic": float, "df_denom": float, "p_val": float, "p_chi2": float, "n_treated_teams": int,
    "note": "str",
}  # fmt: skip


def _pretrend_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(_PRETREND_COLUMNS)).astype(_PRETREND_COLUMNS)


def _joint_pretrend(name: str, fits: dict) -> tuple | None:
    r"""Hotelling-type joint test that the event-time estimates with e <= -2 are all zero.

    :math:`W = \hat\beta'\hat V^{-1}\hat\beta` (``statistic``, ``df`` = q) with
    :math:`\hat V = M'M`, M the q estimates' influence functions (each as in its event-time
    row), and :math:`F = W/q \cdot (G-q)/(G-1)` on (q, G - q) df (``p_val``), G the treated
    teams behind them. Estimates with one treated team (no SE) are left out; NaN, with a
    note, when none is left or G <= q.
    """
    times = sorted(ee for (v, ee) in fits if v == name and ee <= -2)
    if not times:
        return None
    usable = [ee for ee in times if fits[name, ee].n_teams > 1]
    dropped = ", ".join(str(ee) for ee in times if ee not in usable)
    notes = [f"left out e = {dropped}: one treated team, no SE"] if dropped else []
    teams = np.zeros_like(fits[name, times[0]].teams)
    for ee in usable:
        teams |= fits[name, ee].teams
    G, q = int(teams.sum()), len(usable)
    label = " ".join(map(str, usable or times))
    if not usable or q >= G:
        why = f"{G} treated teams behind {q} pre-switch estimates: the test needs more teams"
        notes.append(why if usable else "no pre-switch estimate has an SE")
        return ("cs_event_study", name, label, np.nan, q, np.nan, np.nan, np.nan, np.nan, G, "; ".join(notes))
    beta = np.array([fits[name, ee].estimate for ee in usable])
    M = np.column_stack([fits[name, ee].influence() for ee in usable])
    V = M.T @ M
    if np.linalg.matrix_rank(V) < q:
        notes.append("singular covariance of the pre-switch estimates")
        return ("cs_event_study", name, label, np.nan, q, np.nan, np.nan, np.nan, np.nan, G, "; ".join(notes))
    W = float(beta @ np.linalg.solve(V, beta))
    F = W / q * (G - q) / (G - 1)
    p_f, p_chi2 = stats.f.sf(F, q, G - q), stats.chi2.sf(W, q)
    return ("cs_event_study", name, label, W, q, F, G - q, p_f, p_chi2, G, "; ".join(notes))


def _did_m(Y, D, wave_labels, alpha) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    """DID_M and its placebo: each switch's contrast against the stable teams, pooled (Notes)."""
    n, T = Y.shape
    out, periods = [], []
    for kind, lag in (("did_m", 0), ("did_m_placebo", 1)):
        contrasts, control, teams = [], np.zeros(n), np.zeros(n, bool)
        for t in range(1 + lag, T):
            a, b = t - 1 - lag, t - lag  # outcome change from a to b
            ok = ~np.isnan(Y[:, a]) & ~np.isnan(Y[:, b])
            stable = np.ones(n, bool) if lag == 0 else D[:, t - 2] == D[:, t - 1]
            prev, now = D[:, t - 1], D[:, t]
            g = {
                "J": ok & stable & (prev == 0) & (now == 1),
                "S0": ok & stable & (prev == 0) & (now == 0),
                "L": ok & stable & (prev == 1) & (now == 0),
                "S1": ok & stable & (prev == 1) & (now == 1),
            }
            dy = Y[:, b] - Y[:, a]
            did = {"J": np.nan, "L": np.nan}
            for mover, stay, s in (("J", "S0", 1.0), ("L", "S1", -1.0)):
                mv, st = g[mover], g[stay]
                if mv.any() and st.any():
                    m_st = dy[st].mean()
                    c = s * (dy[mv] - m_st)  # each switch against the stable teams' mean change
                    contrasts.append((mv, c, mover))
                    did[mover] = c.mean()
                    control[st] -= s * mv.sum() * (dy[st] - m_st) / st.sum()  # / N below
                    teams |= mv | st
            counts = (int(g[k].sum()) for k in ("J", "S0", "L", "S1"))
            periods.append((kind, wave_labels[t], *counts, did["J"], did["L"]))
        N = sum(len(c) for _, c, _ in contrasts)
        est = sum(c.sum() for _, c, _ in contrasts) / N if N else np.nan
        switcher, movers = np.zeros(n), np.zeros(n, bool)
        for mv, c, _ in contrasts:
            switcher[mv] += (c - est) / N
            movers |= mv
        fit = _Estimate(est, switcher, control / max(N, 1), movers, N)
        nj = sum(len(c) for _, c, k in contrasts if k == "J")
        note = _ONE_TEAM.format(what="switching team") if fit.n_teams == 1 else ""
        out.append((kind, est, fit.se(), fit.df(), N, nj, N - nj, int(teams.sum()), fit.n_teams, note))
    cols = ["estimator", "estimate", "se", "df", "n_switches", "n_joiners", "n_leavers", "n_teams"]
    cols = [*cols, "n_switching_teams", "se_note"]
    did_m = _t_ci(pd.DataFrame(out, columns=cols).astype({"se_note": "str"}), alpha)
    did_m = did_m[["estimator", "estimate", "se", "ci_low", "ci_high", "p_val", *cols[3:]]]
    counts = ["n_joiners", "n_stable_control", "n_leavers", "n_stable_treated"]
    periods = pd.DataFrame(periods, columns=["kind", "t", *counts, "did_plus", "did_minus"])
    pl = did_m.iloc[1]
    if np.isnan(pl["estimate"]):
        return did_m, periods, []
    with np.errstate(invalid="ignore", divide="ignore"):
        t2 = float((pl["estimate"] / pl["se"]) ** 2)  # the Wald statistic, = F(1, df)
    placebo = ("did_m_placebo", "pooled", "t-2..t-1", t2, 1, t2, pl["df"], pl["p_val"], stats.chi2.sf(t2, 1))
    return did_m, periods, [(*placebo, int(pl["n_switching_teams"]), pl["se_note"])]
