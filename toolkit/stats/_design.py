"""The design matrices and model fits of :mod:`toolkit.stats.cadence` (private): one design per outcome
(cadence coding, covariates, a moderator), fitted by the mixed model, cluster-robust OLS, team means or
the cumulative-link model, with the contrasts' standard errors and degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.stats._effects import hedges_g
from toolkit.stats._lmm import LmmFit, TeamSums, fit_reml, t_interval
from toolkit.stats._robust import fit_clm, fit_ols
from toolkit.stats.policy import team_policy
from toolkit.survey import CADENCE_CODES

#: 1:1s per month of each cadence, the numeric coding of :func:`moderation`.
CADENCE_PER_MONTH = {"weekly": 4.33, "biweekly": 2.17, "monthly": 1.0, "less_than_monthly": 0.5, "none": 0.0}
_CODES = tuple(CADENCE_CODES)
_LOGIT_SD = np.pi / np.sqrt(3.0)


# --------------------------------------------------------------------------- data


class _Data:
    """The variables of one call, one row per respondent (``scores`` is only read)."""

    def __init__(self, scores: pd.DataFrame, names: Sequence[str], source: str) -> None:
        if not isinstance(scores, pd.DataFrame):
            raise TypeError(f"scores must be a DataFrame, got {type(scores).__name__}")
        for col in ("team", "cadence"):
            if col not in scores.columns:
                raise ValueError(f"scores lacks the column {col!r}; it has {list(scores.columns)}")
        if "wave" in scores.columns:
            waves = scores["wave"].dropna().unique()
            if len(waves) > 1:
                raise ValueError(
                    f"scores holds {len(waves)} waves ({', '.join(map(str, sorted(waves)[:4]))}, ...): "
                    "cadence comparisons use one wave; select it, e.g. scores[scores['wave'] == ...]"
                )
        long = "construct" in scores.columns
        constructs: set = set()
        base = scores
        key: list[str] = []
        if long:
            if "respondent" not in scores.columns:
                raise ValueError("scores has a 'construct' column (long scores) but no 'respondent' column")
            key = [k for k in ("respondent", "wave") if k in scores.columns]
            base = scores.loc[~scores.duplicated(key).to_numpy()]
            constructs = set(scores["construct"].dropna().astype(str).unique())
        self.n = len(base)
        self.source = source
        self.cache: dict = {}
        self.team = pd.factorize(base["team"])[0]
        if source == "policy":
            pol = team_policy(base, wave=None)
            cad = base["team"].map(pol.set_index("team")["policy"].astype("str"))
        else:
            cad = base["cadence"]
        self.cad = _cadence_codes(cad)
        self.columns: dict[str, pd.Series] = {}
        for name in names:
            if name in constructs:
                sub = scores.loc[(scores["construct"] == name).to_numpy(), [*key, "score"]]
                if sub.duplicated(key).any():
                    raise ValueError(f"scores holds construct {name!r} more than once for a respondent")
                self.columns[name] = base[key].merge(sub, on=key, how="left")["score"]
            elif name in scores.columns:
                self.columns[name] = base[name]
            else:
                where = "a construct in scores['construct'] or a column" if long else "a column of scores"
                raise ValueError(f"{name!r} is not {where}; columns: {list(scores.columns)}")

    def numeric(self, name: str, role: str) -> np.ndarray:
        if ("numeric", name) in self.cache:
            return self.cache["numeric", name]
        s = self.columns[name]
        if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            raise ValueError(f"{role} {name!r} must be numeric; it holds {s.dtype} values")
        self.cache["numeric", name] = s.to_numpy(dtype=float, na_value=np.nan)
        return self.cache["numeric", name]

    def variable(self, name: str) -> tuple[np.ndarray, list[str] | None]:
        """Numeric values (float, NaN missing) and None, or factor codes (-1 missing) and their levels."""
        if ("variable", name) not in self.cache:
            self.cache["variable", name] = self._variable(name)
        return self.cache["variable", name]

    def _variable(self, name: str) -> tuple[np.ndarray, list[str] | None]:
        s = self.columns[name]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            return s.to_numpy(dtype=float, na_value=np.nan), None
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s.cat.codes.to_numpy(np.int64), [str(c) for c in s.cat.categories]
        codes, levels = pd.factorize(s, sort=True)
        return codes.astype(np.int64), [str(c) for c in levels]


def _cadence_codes(values: pd.Series) -> np.ndarray:
    text = values.astype("str")
    bad = (text.notna() & ~text.isin(_CODES)).to_numpy()
    if bad.any():
        raise ValueError(f"cadence holds {text[bad].iloc[0]!r}, not a cadence code ({', '.join(_CODES)})")
    return np.asarray(pd.Categorical(text, categories=_CODES).codes, dtype=np.int64)


# --------------------------------------------------------------------------- models


@dataclass
class _Model:
    outcome: str
    method: str
    source: str
    names: list[str]
    levels: list[str]
    col_of: dict[str, int | None]
    beta: np.ndarray
    vcov: np.ndarray
    resid_df: float
    n_people: int
    n_teams: int
    lmm: LmmFit | None
    spread: tuple[float, float, float] | None  # total variance, its variance, icc (Hedges' g)
    interaction_cols: list[int]

    @property
    def cadence_cols(self) -> list[int]:
        return [j for lv in self.levels if (j := self.col_of[lv]) is not None]

    def linear(self, L: np.ndarray) -> tuple[float, float, float]:
        if self.lmm is not None:
            return self.lmm.satterthwaite(L)
        return float(L @ self.beta), float(np.sqrt(L @ self.vcov @ L)), self.resid_df

    def joint(self, cols: list[int]) -> tuple[float, int, float, float]:
        L = np.eye(len(self.names))[cols]
        if self.lmm is not None:
            chi2, q, den, f = self.lmm.joint_f(L)
            return chi2, q, den, f
        b, V = self.beta[cols], self.vcov[np.ix_(cols, cols)]
        chi2 = float(b @ np.linalg.solve(V, b))
        return chi2, len(cols), self.resid_df, chi2 / len(cols)

    def contrast(self, a: str, b: str, alpha: float) -> dict:
        for lv in (a, b):
            if lv not in self.levels:
                raise ValueError(
                    f"contrast level {lv!r} has no data for outcome {self.outcome!r} "
                    f"(cadence={self.source!r}); levels with data: {', '.join(self.levels)}"
                )
        L = np.zeros(len(self.names))
        for lv, sign in ((a, 1.0), (b, -1.0)):
            if self.col_of[lv] is not None:
                L[self.col_of[lv]] += sign
        est, se, df = self.linear(L)
        p, lo, hi = t_interval(est, se, df, alpha)
        if self.spread is None:  # ordinal: standardise by the latent logistic SD
            g, g_lo, g_hi = est / _LOGIT_SD, lo / _LOGIT_SD, hi / _LOGIT_SD
        else:
            total, total_var, icc = self.spread
            g, g_lo, g_hi = hedges_g(
                est, se, total, total_var, n_people=self.n_people, n_teams=self.n_teams, icc=icc, alpha=alpha
            )
        return {
            "outcome": self.outcome, "contrast": f"{a} - {b}", "level_a": a, "level_b": b,
            "method": self.method, "cadence_source": self.source, "estimate": est, "se": se, "df": float(df),
            "ci_low": lo, "ci_high": hi,
            "p_val": p, "g": g, "g_ci_low": g_lo, "g_ci_high": g_hi, "n_people": self.n_people,
            "n_teams": self.n_teams,
        }  # fmt: skip


@dataclass
class _Design:
    rows: np.ndarray  # rows of the data used
    team: np.ndarray  # team codes 0..G-1 of those rows
    X: np.ndarray
    names: list[str]
    levels: list[str]  # cadence levels with data, in cadence order
    col_of: dict[str, int | None]  # column of each level's coefficient (None: the reference)
    interaction: list[int]
    sums: TeamSums | None = None  # of X, for "lmm"
    null_sums: TeamSums | None = None  # of the intercept only, for the variance decomposition
    checked: bool = False


def _design(data: _Data, y: str, covs: Sequence[str], moderator: str | None, coding: str) -> _Design:
    """Complete cases and the design matrix (cached per pattern of complete cases: outcomes share it)."""
    yv = data.numeric(y, "outcome")
    variables = {c: data.variable(c) for c in covs}
    mod = data.numeric(moderator, "moderator") if moderator is not None else None
    mask = (data.team >= 0) & (data.cad >= 0) & ~np.isnan(yv)
    for values, levels in variables.values():
        mask &= (values >= 0) if levels is not None else ~np.isnan(values)
    if mod is not None:
        mask &= ~np.isnan(mod)
    if not mask.any():
        raise ValueError(f"outcome {y!r} has no complete row (outcome, cadence, team and covariates)")
    key = ("design", mask.tobytes(), tuple(covs), moderator, coding)
    if key in data.cache:
        return data.cache[key]
    rows = np.flatnonzero(mask)
    n = len(rows)
    team_ids, team = np.unique(data.team[rows], return_inverse=True)
    cad = data.cad[rows]
    present = np.unique(cad)
    ref = 2 if 2 in present else int(present[0])  # monthly, as in R's relevel(, "monthly")
    col_of: dict[str, int | None] = {_CODES[ref]: None}
    names = ["(Intercept)"]
    blocks: list[tuple[int, np.ndarray, np.ndarray | None]] = []  # (first column, codes, used) or values
    if coding == "per_month":
        names.append("cadence_num")
        cad_names = ["cadence_num"]
    else:
        cad_names = []
        for c in present:
            if c != ref:
                col_of[_CODES[c]] = len(names)
                names.append(f"cadence[{_CODES[c]}]")
                cad_names.append(names[-1])
    if mod is not None:
        names.append(moderator)
    for name, (values, lv) in variables.items():
        sub = values[rows]
        if lv is None:
            blocks.append((len(names), sub, None))
            names.append(name)
            continue
        used = np.unique(sub)
        blocks.append((len(names), sub, used))
        names.extend(f"{name}[{lv[k]}]" for k in used[1:])
    interaction = []
    if mod is not None:
        for name in cad_names:
            interaction.append(len(names))
            names.append(f"{name}:{moderator}")
    X = np.zeros((n, len(names)))
    X[:, 0] = 1.0
    at = np.arange(n)
    if coding == "per_month":
        X[:, 1] = np.array(list(CADENCE_PER_MONTH.values()))[cad]
    else:
        pos = np.full(len(_CODES), -1)
        for lv, j in col_of.items():
            pos[_CODES.index(lv)] = -1 if j is None else j
        col = pos[cad]
        X[at[col >= 0], col[col >= 0]] = 1.0
    if mod is not None:
        X[:, names.index(moderator)] = mod[rows]
        for j, name in zip(interaction, cad_names, strict=True):
            X[:, j] = X[:, names.index(name)] * mod[rows]
    for first, sub, used in blocks:
        if used is None:
            X[:, first] = sub
            continue
        pos = np.full(int(used.max()) + 1, -1)
        pos[used[1:]] = first + np.arange(len(used) - 1)
        col = pos[sub]
        X[at[col >= 0], col[col >= 0]] = 1.0
    p, G = len(names), len(team_ids)
    if n <= p or G < 2:
        raise ValueError(f"outcome {y!r}: {n} complete rows in {G} teams cannot fit {p} coefficients")
    design = _Design(rows, team, X, names, [_CODES[c] for c in present], col_of, interaction)
    data.cache[key] = design
    return design


def _fit(
    data: _Data, y: str, covs: Sequence[str], method: str, *, moderator: str | None = None, coding: str = ""
) -> _Model:
    """The fit of ``method`` to outcome ``y`` and what the contrasts need."""
    des = _design(data, y, covs, moderator, coding)
    X, names, team = des.X, des.names, des.team
    levels, col_of, interaction = des.levels, des.col_of, des.interaction
    yy = data.numeric(y, "outcome")[des.rows]
    n, p, G = X.shape[0], X.shape[1], int(team.max()) + 1
    if method == "lmm":
        if des.sums is None:
            sums = TeamSums(X, team)
            _check_rank(sums.XtX, names)
            des.sums = sums
        fit = fit_reml(des.sums, yy)
        total = fit.tau2 + fit.sigma2
        return _Model(
            y, method, data.source, names, levels, col_of, fit.beta, fit.vcov, np.nan, n, G, fit,
            (total, fit.total_variance_var(), fit.tau2 / total), interaction,
        )  # fmt: skip
    if not des.checked:
        _check_rank(X.T @ X, names)
        des.checked = True
    spread = None if method == "ordinal" else _spread(des, yy)
    if method == "ols_cluster":
        fit = fit_ols(X, yy, team)
        return _Model(
            y, method, data.source, names, levels, col_of, fit.beta, fit.vcov_hc1, G - 1, n, G, None,
            spread, interaction,
        )  # fmt: skip
    if method == "team_means":
        first = np.unique(team, return_index=True)[1]
        varies = np.flatnonzero(np.any(X[first][team] != X, axis=0))
        if varies.size:
            col = names[varies[0]].split("[")[0]
            raise ValueError(
                f"covariate {col!r} varies within team: team means need team-level covariates "
                "(constant within each team)"
            )
        if p >= G:
            raise ValueError(f"outcome {y!r}: {G} teams cannot fit {p} team-level coefficients")
        counts = np.bincount(team)
        fit = fit_ols(X[first], np.bincount(team, weights=yy) / counts)
        return _Model(
            y, method, data.source, names, levels, col_of, fit.beta, fit.vcov_iid, G - p, n, G, None,
            spread, interaction,
        )  # fmt: skip
    # ordinal
    if not np.all(yy == np.round(yy)):
        raise ValueError(
            f"method 'ordinal' needs integer answer codes; outcome {y!r} holds non-integer values "
            "(a construct score? join the item's codes onto scores)"
        )
    cats, ycode = np.unique(yy, return_inverse=True)
    if len(cats) < 2:
        raise ValueError(f"outcome {y!r} has a single answer code ({cats[0]:g}): nothing to model")
    fit = fit_clm(X[:, 1:], ycode, team, names=names[1:])
    shifted = {lv: (None if j is None else j - 1) for lv, j in col_of.items()}
    return _Model(
        y, method, data.source, names[1:], levels, shifted, fit.beta,
        fit.vcov_hc1[len(cats) - 1 :, len(cats) - 1 :], G - 1, n, G, None, None, [j - 1 for j in interaction],
    )  # fmt: skip


def _spread(des: _Design, y: np.ndarray) -> tuple[float, float, float]:
    """Total variance, its variance and the ICC from an intercept-only random-intercept REML fit."""
    if len(y) == int(des.team.max()) + 1:  # one person per team: no between-team variance to separate
        s2 = float(np.var(y, ddof=1))
        return s2, 2 * s2**2 / (len(y) - 1), 0.0
    if des.null_sums is None:
        des.null_sums = TeamSums(np.ones((len(y), 1)), des.team)
    fit = fit_reml(des.null_sums, y)
    total = fit.tau2 + fit.sigma2
    return total, fit.total_variance_var(), fit.tau2 / total


def _check_rank(xtx: np.ndarray, names: list[str]) -> None:
    """Raise when a column of the design is a linear combination of earlier ones (R would give NA)."""
    d = np.sqrt(np.diag(xtx))
    if np.any(d == 0):
        raise ValueError(f"the design column {names[int(np.argmin(d))]!r} is all zero")
    c = xtx / np.outer(d, d)
    tol = 1e-10
    if np.linalg.eigvalsh(c)[0] > tol:
        return
    for j in range(2, len(names) + 1):  # the first aliased column, in model order (columns, not rows)
        if np.linalg.eigvalsh(c[:j, :j])[0] <= tol:
            raise ValueError(
                f"the design is rank-deficient: {names[j - 1]!r} is a linear combination of earlier terms "
                f"({', '.join(names[: j - 1][:6])}, ...); drop a covariate or merge sparse levels"
            )
