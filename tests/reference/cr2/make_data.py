"""Build the data sets that ``reference.R`` (in this folder) fits with clubSandwich.

Run from the repository root with the project's Python:

    .venv/bin/python tests/reference/cr2/make_data.py

Writes into this folder, drawn with numpy from its own seeds (not the project's simulator, and no
test tunes anything to these rows):

* ``C1_persons.csv`` (seed 1801) -- 36 teams of very unequal size (2 to 15 people, skewed towards
  small teams), in 4 divisions; every person reports one of the five cadences (the team's policy,
  or with probability 0.3 another cadence: within-team disagreement); team effects are skewed
  (a centred gamma); outcomes ``depth`` and ``engagement``; covariates ``division`` (text, a factor in
  the model) and ``log_size`` (log of the team's size, constant within team); a few outcome values
  are missing.
* ``C2_persons.csv`` (seed 1802) -- 14 teams of 2 to 9 people, weekly and monthly only, in 3
  divisions, one of which has a single team: its dummy lives in one cluster, so ``I - H_gg`` of that
  team is singular and CR2 needs the Moore-Penrose root (as clubSandwich does).

Numbers are written with 17 significant digits, so R and pandas read back the same doubles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CADENCES = np.array(["weekly", "biweekly", "monthly", "less_than_monthly", "none"])


def _persons(seed: int, sizes: np.ndarray, divisions: np.ndarray, cadences: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G = len(sizes)
    policy = rng.choice(cadences, size=G)
    team_u = 0.35 * (rng.gamma(2.0, 1.0, size=G) - 2.0) / np.sqrt(2.0)
    div_eff = dict(zip(sorted(set(divisions)), [0.0, 0.15, -0.2, 0.1], strict=False))
    rows = []
    for g in range(G):
        for i in range(sizes[g]):
            cad = policy[g] if rng.random() > 0.3 else rng.choice(cadences)
            w = 0.25 * (cad == "weekly") + 0.1 * (cad == "biweekly") - 0.15 * (cad == "none")
            base = 3.2 + w + div_eff[divisions[g]] + 0.1 * np.log(sizes[g]) + team_u[g]
            rows.append(
                {
                    "respondent": f"r{g:02d}_{i:02d}",
                    "team": f"T{g:02d}",
                    "division": divisions[g],
                    "cadence": cad,
                    "log_size": np.log(sizes[g]),
                    "depth": base + rng.normal(0, 0.7),
                    "engagement": 3.5 + 0.5 * w + 0.8 * team_u[g] + rng.standard_t(5) * 0.6,
                }
            )
    out = pd.DataFrame(rows)
    miss = rng.random(len(out)) < 0.03
    out.loc[miss, "engagement"] = np.nan
    return out


def main() -> None:
    rng = np.random.default_rng(1800)
    sizes1 = np.clip(rng.geometric(0.17, size=36) + 1, 2, 15)
    div1 = rng.choice(np.array(["north", "south", "east", "west"]), size=36, p=[0.4, 0.3, 0.2, 0.1])
    c1 = _persons(1801, sizes1, div1, CADENCES)
    sizes2 = rng.integers(2, 10, size=14)
    div2 = np.array(["north"] * 7 + ["south"] * 6 + ["east"])
    c2 = _persons(1802, sizes2, div2, CADENCES[[0, 2]])
    for name, d in (("C1", c1), ("C2", c2)):
        d.to_csv(HERE / f"{name}_persons.csv", index=False, float_format="%.17g")
        print(name, len(d), "rows,", d["team"].nunique(), "teams, sizes", sorted(d.groupby("team").size()))


if __name__ == "__main__":
    main()
