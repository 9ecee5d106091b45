"""The organisation: units, teams and managers, people and turnover, 1:1 policies and switches.

:class:`_Simulation` draws the organisation and, wave by wave, who works where, each
manager's policy (with switches between weekly and monthly) and every employee's latent
scores, then hands each wave's respondents to :class:`~toolkit.simulate._waves._Wave` and
gathers the tables and the truth into a :class:`~toolkit.simulate.SimulatedOrg`.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd

from toolkit.privacy.pseudonym import pseudonymise
from toolkit.simulate._model import _Calibration, _chain, _draw_from, _policy, _team_sizes, _z_size
from toolkit.simulate._plan import _Plan
from toolkit.simulate._result import SimulatedOrg
from toolkit.simulate._waves import _Wave
from toolkit.simulate._words import _FIRST, _LAST


def pseudonym_key(seed: int) -> bytes:
    """The secret key behind a simulated organisation's pseudonyms.

    A synthetic organisation has no secret: its key is derived from the seed, so that its
    platform exports ingest (with this key) to the same respondents as its canonical files.

    Examples
    --------
    >>> len(pseudonym_key(2026))
    64
    """
    return hashlib.sha256(f"toolkit.simulate pseudonym key {seed}".encode()).hexdigest().encode()


def _ids(prefix: str, n: int, *, width: int | None = None) -> np.ndarray:
    width = width or max(2, len(str(n)))
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


class _Simulation:
    """Draws the organisation and its waves; one object per call of :func:`simulate`."""

    def __init__(
        self,
        plan: _Plan,
        eff: dict,
        des: dict,
        mes: dict,
        cal: _Calibration,
        rng: np.random.Generator,
        seed: int,
        n_teams: int,
        labels: tuple[str, ...],
        rates: tuple[float, float],
        icc: float,
        null: bool,
    ) -> None:
        self.plan, self.eff, self.des, self.mes, self.cal = plan, eff, des, mes, cal
        self.rng, self.seed, self.T, self.labels, self.rates = rng, seed, n_teams, labels, rates
        self.icc, self.null = icc, null
        self.K = len(plan.order)

    # -- organisation
    def _units(self) -> None:
        rng, T = self.rng, self.T
        n_div = int(np.clip(round(math.sqrt(T)), 1, 40))
        n_dep = max(n_div, math.ceil(T / self.des["teams_per_department"]))
        self.dep_div = rng.permutation(np.arange(n_dep) % n_div)
        self.team_dep = rng.permutation(np.arange(T) % n_dep)
        self.team_div = self.dep_div[self.team_dep]
        raw = rng.standard_normal(n_div)
        self.cult = (raw - raw.mean()) / raw.std() if n_div > 1 else np.zeros(1)
        self.div_ids = _ids("div", n_div)
        self.dep_ids = _ids("dep", n_dep)
        self.team_ids = _ids("t", T)
        self.manager_ids = _ids("m", T)

    def _people(self, n: int, joiners: bool) -> None:
        rng = self.rng
        first = rng.integers(0, len(_FIRST), n)
        last = rng.integers(0, len(_LAST), n)
        demo = [
            rng.choice(len(codes), size=n, p=(pj if joiners else p))
            for _, codes, p, pj in self.plan.demographics
        ]
        u = rng.standard_normal((n, self.K))
        self.first = np.concatenate([self.first, first])
        self.last = np.concatenate([self.last, last])
        self.demo = [np.concatenate([a, b]) for a, b in zip(self.demo, demo, strict=True)]
        self.u = np.vstack([self.u, u])

    def run(self) -> SimulatedOrg:
        rng, T, plan, des = self.rng, self.T, self.plan, self.des
        self._units()
        size0 = _team_sizes(rng, T, des["size_mix"])
        z0 = _z_size(size0)
        f = (
            plan.par["division_on_cadence"] * self.cult[self.team_div]
            - plan.par["size_on_cadence"] * z0
            + rng.standard_normal(T)
        )
        # cut at this organisation's quantiles, so that its policy shares are the design's
        self.cuts = np.quantile(f, np.clip(np.cumsum(plan.cad_shares[::-1])[:-1], 0, 1))
        policy = _policy(f, self.cuts)
        length = rng.choice(len(plan.len_codes), size=T, p=plan.len_shares)
        lo, hi = self.rates
        base_rate = rng.uniform(lo, hi, T)
        b = rng.standard_normal((T, self.K)) * np.array([self.cal.tau[k] for k in plan.order])
        su = np.array([self.cal.person[k] for k in plan.order])
        se = np.array([self.cal.occasion[k] for k in plan.order])

        self.first = self.last = np.zeros(0, np.int64)
        self.demo = [np.zeros(0, np.int64) for _ in plan.demographics]
        self.u = np.zeros((0, self.K))
        n0 = int(size0.sum())
        self._people(n0, joiners=False)
        emp_team = np.repeat(np.arange(T), size0)
        active = np.ones(n0, bool)

        w_idx = {c: i for i, c in enumerate(plan.cad_codes)}
        weekly, monthly = w_idx.get("weekly"), w_idx.get("monthly")
        switched_prev = np.zeros(T, bool)
        pol_hist, len_hist, switches, team_rows = [], [], [], []
        wave_rows: list[tuple] = []
        for w, label in enumerate(self.labels):
            switched = np.zeros(T, bool)
            if w > 0:
                emp_team, active = self._turnover(emp_team, active, size0)
                if weekly is not None and monthly is not None:
                    old = policy.copy()
                    r = rng.random(T)
                    back = switched_prev & (r < des["switch_back"])
                    go_w = ~switched_prev & (policy == weekly) & (r < des["switch_rate"])
                    go_m = ~switched_prev & (policy == monthly) & (r < des["switch_rate"])
                    policy = policy.copy()
                    policy[back] = pol_hist[-2][back] if len(pol_hist) >= 2 else policy[back]
                    policy[go_w] = monthly
                    policy[go_m] = weekly
                    switched = policy != old
                    for t in np.flatnonzero(switched):  # a loop over the few switching teams
                        switches.append(
                            {
                                "team": self.team_ids[t],
                                "wave": label,
                                "previous_wave": self.labels[w - 1],
                                "from": plan.cad_codes[old[t]],
                                "to": plan.cad_codes[policy[t]],
                            }
                        )
            switched_prev = switched
            pol_hist.append(policy.copy())
            len_hist.append(length.copy())
            rate = np.clip(base_rate + rng.normal(0, 0.03, T), lo, hi)
            act = np.flatnonzero(active)
            tm = emp_team[act]
            headcount = np.bincount(tm, minlength=T)
            team_rows.append((label, policy.copy(), length.copy(), headcount, rate, switched))
            env = {
                "cad": _draw_from(rng, policy[tm], plan.cad_move),
                "len": _draw_from(rng, length[tm], plan.len_move),
                "z": _z_size(headcount[tm]),
                "cult": self.cult[self.team_div[tm]],
            }
            noise = rng.standard_normal((len(act), self.K))
            resid = {
                k: b[tm, i] + su[i] * self.u[act, i] + se[i] * noise[:, i] for i, k in enumerate(plan.order)
            }
            eta = _chain(plan, env, resid)
            responds = rng.random(len(act)) < rate[tm]
            wave_rows.append((label, act, tm, policy[tm], env, eta, responds))

        n_emp = len(self.first)
        self.emp_ids = _ids("e", n_emp, width=max(6, len(str(n_emp))))
        # the pseudonyms ingest gives with this (public) key, so exports ingest to the same people
        self.pseudonyms = pseudonymise(pd.Series(self.emp_ids), pseudonym_key(self.seed)).to_numpy()
        self._names()
        responses, latent, roster = {}, {}, []
        for label, act, tm, pol, env, eta, responds in wave_rows:
            roster.append(self._roster(label, act, tm))
            sel = np.flatnonzero(responds)
            df, truth = _Wave(
                self,
                label,
                act[sel],
                tm[sel],
                pol[sel],
                {k: v[sel] for k, v in env.items()},
                {k: v[sel] for k, v in eta.items()},
            ).build()
            responses[label], latent[label] = df, truth
        return SimulatedOrg(
            survey=plan.survey,
            seed=self.seed,
            waves=self.labels,
            units=self._unit_table(),
            teams=self._team_table(pol_hist, len_hist),
            team_waves=self._team_waves(team_rows),
            roster=pd.concat(roster, ignore_index=True),
            people=self._people_table(),
            responses=responses,
            latent=latent,
            truth=self._truth(switches),
        )

    def _turnover(
        self, emp_team: np.ndarray, active: np.ndarray, size0: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        rng, des, T = self.rng, self.des, self.T
        n_active = int(active.sum())
        r = rng.random(len(active))
        active = active & ~(r < des["leave_rate"])
        move = active & (r >= des["leave_rate"]) & (r < des["leave_rate"] + des["move_rate"])
        emp_team = emp_team.copy()
        emp_team[move] = rng.choice(T, size=int(move.sum()), p=size0 / size0.sum())
        n_join = int(rng.poisson(des["leave_rate"] * n_active))
        head = np.bincount(emp_team[active], minlength=T)
        vacancy = np.maximum(size0 - head, 0) + 0.05 * size0
        joiner_team = rng.choice(T, size=n_join, p=vacancy / vacancy.sum())
        self._people(n_join, joiners=True)
        return np.concatenate([emp_team, joiner_team]), np.concatenate([active, np.ones(n_join, bool)])

    def _names(self) -> None:
        first = _FIRST[self.first]
        last = _LAST[self.last]
        self.names = np.strings.add(np.strings.add(first, " "), last)
        stem = np.strings.lower(np.strings.add(np.strings.add(first, "."), last))
        nth = pd.Series(stem).groupby(stem).cumcount().to_numpy() + 1
        suffix = np.where(nth > 1, nth.astype(str), "")
        self.emails = np.strings.add(np.strings.add(stem, suffix), "@example.org")

    def _roster(self, label: str, act: np.ndarray, tm: np.ndarray) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "employee_id": self.emp_ids[act],
            "wave": np.full(len(act), label),
            "team": self.team_ids[tm],
            "manager": self.manager_ids[tm],
        }
        for (item_id, codes, _, _), values in zip(self.plan.demographics, self.demo, strict=True):
            cols[item_id] = np.asarray(codes, dtype=object)[values[act]]
        cols["name"] = self.names[act]
        cols["email"] = self.emails[act]
        return pd.DataFrame({k: pd.array(np.asarray(v, dtype=object), dtype="str") for k, v in cols.items()})

    def _people_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "employee_id": pd.array(self.emp_ids, dtype="str"),
                "first_name": pd.array(_FIRST[self.first], dtype="str"),
                "last_name": pd.array(_LAST[self.last], dtype="str"),
                "name": pd.array(self.names, dtype="str"),
                "email": pd.array(self.emails, dtype="str"),
            }
        )

    def _unit_table(self) -> pd.DataFrame:
        units = ["org", *self.div_ids, *self.dep_ids, *self.team_ids]
        parents = [
            None,
            *(["org"] * len(self.div_ids)),
            *self.div_ids[self.dep_div],
            *self.dep_ids[self.team_dep],
        ]
        kinds = (
            ["organisation"]
            + ["division"] * len(self.div_ids)
            + ["department"] * len(self.dep_ids)
            + ["team"] * self.T
        )
        return pd.DataFrame(
            {
                "unit": pd.array(units, dtype="str"),
                "parent": pd.array(parents, dtype="str"),
                "kind": pd.array(kinds, dtype="str"),
            }
        )

    def _team_table(self, pol_hist: list, len_hist: list) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "team": self.team_ids,
            "manager": self.manager_ids,
            "department": self.dep_ids[self.team_dep],
            "division": self.div_ids[self.team_div],
        }
        cad, ln = np.array(self.plan.cad_codes, dtype=object), np.array(self.plan.len_codes, dtype=object)
        for label, pol, length in zip(self.labels, pol_hist, len_hist, strict=True):
            cols[f"policy_{label}"] = cad[pol]
            cols[f"length_{label}"] = ln[length]
        return pd.DataFrame({k: pd.array(np.asarray(v, dtype=object), dtype="str") for k, v in cols.items()})

    def _team_waves(self, rows: list) -> pd.DataFrame:
        cad, ln = np.array(self.plan.cad_codes, dtype=object), np.array(self.plan.len_codes, dtype=object)
        parts = []
        for label, pol, length, head, rate, switched in rows:
            parts.append(
                pd.DataFrame(
                    {
                        "team": pd.array(self.team_ids, dtype="str"),
                        "wave": pd.array([label] * self.T, dtype="str"),
                        "department": pd.array(self.dep_ids[self.team_dep], dtype="str"),
                        "division": pd.array(self.div_ids[self.team_div], dtype="str"),
                        "policy": pd.array(cad[pol], dtype="str"),
                        "length": pd.array(ln[length], dtype="str"),
                        "headcount": head.astype(np.int64),
                        "response_rate": rate,
                        "switched": switched,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def _truth(self, switches: list) -> dict[str, Any]:
        plan = self.plan
        return {
            "model": "toolkit.simulate v1 (see the docstring of toolkit.simulate.simulate for the formulas)",
            "seed": self.seed,
            "survey": {"id": plan.survey.id, "version": plan.survey.version},
            "waves": list(self.labels),
            "n_teams": self.T,
            "parameters": {
                "icc": self.icc,
                "icc_scale": "ICC(1) of the observed construct score",
                "null": self.null,
                "response_rate": list(self.rates),
                "first_wave": self.labels[0],
                "effects": self.eff,
                "design": self.des,
                "mess": self.mes,
                "cadence_codes": list(plan.cad_codes),
                "length_codes": list(plan.len_codes),
                "size_scale": {"z": "(log(team headcount) - log 8) / 0.5"},
                "cadence_cutpoints": {
                    "population": self.cal.cuts.tolist(),
                    "organisation": self.cuts.tolist(),
                    "propensity": "division_on_cadence * c_d - size_on_cadence * z + N(0, 1), cut from the "
                    "rarest cadence up",
                },
            },
            "variance_components": self.cal.components,
            "estimands": self.cal.estimands,
            "switches": switches,
        }
