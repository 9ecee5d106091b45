"""The responses of one wave: answers from the latent scores, then the mess of real platform data.

Careless respondents (speeders, straight-liners, attention failures), duplicate submissions,
not-applicable codes, blank optional answers, comments and self-naming comments, timestamps
and durations; the canonical response table and the per-row truth behind it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.simulate._plan import _ItemPlan
from toolkit.simulate._words import _COMMENTS
from toolkit.survey.schema import canonical_dtypes, condition_holds

if TYPE_CHECKING:
    from toolkit.simulate._org import _Simulation


def _wave_start(label: str) -> int:
    """Seconds since the epoch when the wave's survey opens: the 2nd of the quarter's 2nd month."""
    year, q = int(label[:4]), int(label[5])
    return int(np.datetime64(f"{year}-{3 * (q - 1) + 2:02d}-02", "s").astype(np.int64))


class _Wave:
    """The responses of one wave: answers from the latent scores, then the mess."""

    def __init__(
        self,
        sim: _Simulation,
        label: str,
        emp: np.ndarray,
        tm: np.ndarray,
        pol: np.ndarray,
        env: dict[str, np.ndarray],
        eta: dict[str, np.ndarray],
    ) -> None:
        self.sim, self.label = sim, label
        self.emp, self.tm, self.pol, self.env, self.eta = emp, tm, pol, env, eta
        self.rng = sim.rng
        self.n = len(emp)

    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        sim, rng, n, mes = self.sim, self.rng, self.n, self.sim.mes
        plan = sim.plan
        survey = plan.survey
        attention = [p for p in plan.items if p.role == "attention_check"]
        u = rng.random(n)
        s1 = mes["speeders"]
        s2 = s1 + mes["straight_liners"]
        s3 = s2 + (mes["attention_failures"] if attention else 0.0)
        speeder, straight, failed = u < s1, (u >= s1) & (u < s2), (u >= s2) & (u < s3)
        random_answers = speeder | failed
        careless = random_answers | straight
        ordinal = [p for p in plan.items if p.kind == "ordinal" and p.role is None]
        min_k = min((len(p.codes) for p in ordinal), default=1)
        straight_pos = rng.integers(0, min_k, n)

        values: dict[str, np.ndarray] = {}  # scale items: index into the allowed codes (-1: missing)
        names_self = np.zeros(n, bool)
        for p in plan.items:
            if p.role == "team":
                continue
            if p.kind == "text":
                values[p.id], signed = self._text(p)
                names_self |= signed
                continue
            values[p.id] = self._answer(p, random_answers, straight, straight_pos, careless, failed)
            if not p.required and p.role != "attention_check":
                values[p.id] = np.where(rng.random(n) < mes["item_nonresponse"], -1, values[p.id])

        k_items = sum(1 for it in survey.items if it.role != "team")
        median = 60.0 + 10.0 * k_items
        duration = median * np.exp(0.4 * rng.standard_normal(n))
        duration = np.where(straight, duration * 0.55, duration)
        duration = np.where(failed, duration * 0.7, duration)
        # speeders take under 2 s per rated item, the usual careless-response rule
        n_rated = sum(1 for it in survey.items if it.kind == "ordinal")
        duration = np.where(speeder, n_rated * rng.uniform(0.5, 1.7, n), duration)
        duration = np.round(duration)
        start = _wave_start(self.label)
        day = np.minimum(np.floor(rng.exponential(3.5, n)), 20)
        tod = (6 + 14 * rng.beta(2.5, 3.0, n)) * 3600  # 06:00 to 20:00 UTC, peak before noon
        stamp = start + (day * 86400 + np.round(tod)).astype(np.int64)

        # duplicate submissions: a copy submitted later, a few answers changed
        dup = np.flatnonzero(rng.random(n) < mes["duplicates"])
        src = np.concatenate([np.arange(n), dup])
        is_copy = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
        has_copy = np.zeros(n + len(dup), bool)
        has_copy[dup] = True
        for p in plan.items:
            if p.id in values:
                v = values[p.id][src]
                if p.construct is not None and len(dup):
                    change = is_copy & (rng.random(len(src)) < 0.15) & (v >= 0) & (v < len(p.codes))
                    step = rng.choice([-1, 1], len(src))
                    v = np.where(change, np.clip(v + step, 0, len(p.codes) - 1), v)
                values[p.id] = v
        stamp = np.concatenate([stamp, stamp[dup] + rng.integers(120, 7200, len(dup))])
        duration = np.concatenate([duration, np.round(median * np.exp(0.4 * rng.standard_normal(len(dup))))])

        df = self._frame(values, src, stamp, duration)
        order = np.argsort(stamp, kind="stable")
        df = df.iloc[order].reset_index(drop=True)
        truth = self._truth(src, speeder, straight, failed, is_copy, has_copy, names_self).iloc[order]
        return df, truth.reset_index(drop=True)

    def _answer(
        self,
        p: _ItemPlan,
        random_answers: np.ndarray,
        straight: np.ndarray,
        straight_pos: np.ndarray,
        careless: np.ndarray,
        failed: np.ndarray,
    ) -> np.ndarray:
        """The answers to a scale item, as positions in its allowed codes."""
        rng, n = self.rng, self.n
        k = len(p.codes)
        if p.role == "attention_check":
            expected = list(p.codes).index(self.sim.plan.survey.item(p.id).expected)
            other = rng.integers(0, k - 1, n)
            return np.where(failed, other + (other >= expected), expected)
        given = self._role_index(p)
        if given is not None:  # cadence and length as experienced, demographics as on the roster
            if p.role == "demographic":
                return given
            return np.where(random_answers, rng.integers(0, k, n), given)
        if p.kind == "categorical":
            idx = rng.integers(0, k, n)
        else:
            lam = self.sim.eff["loading"]
            latent = self.eta[p.construct] if p.construct is not None else 0.0
            ystar = lam * latent + p.offset + math.sqrt(1 - lam**2) * rng.standard_normal(n)
            keyed = np.searchsorted(p.thresholds, ystar)
            idx = k - 1 - keyed if p.reverse else keyed
            idx = np.where(random_answers, rng.integers(0, k, n), idx)
            idx = np.where(straight, np.minimum(straight_pos, k - 1), idx)
        if p.na_code is not None and p.role is None:
            idx = np.where(~careless & (rng.random(n) < self.sim.mes["not_applicable"]), k, idx)
        return idx

    def _role_index(self, p: _ItemPlan) -> np.ndarray | None:
        plan = self.sim.plan
        if p.role == "cadence":
            source, idx = plan.cad_codes, self.env["cad"]
        elif p.role == "meeting_length":
            source, idx = plan.len_codes, self.env["len"]
        elif p.role == "demographic":
            which = [d[0] for d in plan.demographics].index(p.id)
            source, idx = plan.demographics[which][1], self.sim.demo[which][self.emp]
        else:
            return None
        codes = list(p.codes)
        return np.array([codes.index(c) for c in source])[idx]

    def _text(self, p: _ItemPlan) -> tuple[np.ndarray, np.ndarray]:
        rng, n, mes = self.rng, self.n, self.sim.mes
        none = np.zeros(n, bool)
        if p.role != "comment":
            return np.full(n, None, dtype=object), none
        has = rng.random(n) < mes["comments"]
        text = _COMMENTS[rng.integers(0, len(_COMMENTS), n)]
        first_comment = p.id == next(q.id for q in self.sim.plan.items if q.role == "comment")
        signed = first_comment & (rng.random(n) < mes["self_naming"]) if first_comment else none
        text = np.where(
            signed,
            np.strings.add(np.strings.add("This is ", self.sim.names[self.emp]), np.strings.add(". ", text)),
            text,
        )
        return np.where(has | signed, text.astype(object), None), signed

    def _frame(
        self, values: dict[str, np.ndarray], src: np.ndarray, stamp: np.ndarray, duration: np.ndarray
    ) -> pd.DataFrame:
        sim, plan = self.sim, self.sim.plan
        dtypes = canonical_dtypes(plan.survey)
        m = len(src)
        ts = pd.Series((stamp * 1_000_000).astype("datetime64[us]")).dt.tz_localize("UTC")
        cols: dict[str, Any] = {
            "respondent": pd.array(sim.pseudonyms[self.emp[src]], dtype="str"),
            "wave": pd.array(np.full(m, self.label, dtype=object), dtype="str"),
            "team": pd.array(sim.team_ids[self.tm[src]], dtype="str"),
            "submitted_at": ts.array,
            "duration_s": pd.array(duration, dtype="Float64"),
        }
        for p in plan.items:
            if p.role == "team":
                continue
            v = values[p.id]
            if p.kind == "ordinal":
                codes = np.asarray(p.allowed, dtype=np.int8)[np.maximum(v, 0)]
                cols[p.id] = pd.arrays.IntegerArray(codes, v < 0)
            elif p.kind == "categorical":
                cols[p.id] = pd.Categorical.from_codes(v.astype(np.int64), dtype=dtypes[p.id])
            else:
                cols[p.id] = pd.array(v, dtype="str")
        df = pd.DataFrame(cols)
        for it in plan.survey.items:
            if it.ask_if is not None and it.id in df.columns:
                off = condition_holds(df, it.ask_if).eq(False).fillna(False).to_numpy(bool)
                df[it.id] = df[it.id].mask(off)
        return df

    def _truth(self, src, speeder, straight, failed, is_copy, has_copy, names_self) -> pd.DataFrame:
        sim, plan = self.sim, self.sim.plan
        cad, ln = np.array(plan.cad_codes, dtype=object), np.array(plan.len_codes, dtype=object)
        out = pd.DataFrame(
            {
                "employee_id": pd.array(sim.emp_ids[self.emp[src]], dtype="str"),
                "team": pd.array(sim.team_ids[self.tm[src]], dtype="str"),
                "policy": pd.array(cad[self.pol[src]], dtype="str"),
                "cadence": pd.array(cad[self.env["cad"][src]], dtype="str"),
                "meeting_length": pd.array(ln[self.env["len"][src]], dtype="str"),
                **{f"eta_{k}": self.eta[k][src] for k in plan.order},
                "speeder": speeder[src],
                "straight_liner": straight[src],
                "attention_failure": failed[src],
                "is_duplicate": is_copy,
                "has_duplicate": has_copy,
                "names_self": names_self[src],
            }
        )
        return out
