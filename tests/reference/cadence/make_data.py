"""Build the input data sets for the R reference of the cadence comparisons.

Run from the repository root with the project's Python:

    .venv/bin/python tests/reference/cadence/make_data.py

Writes into this folder (tests/reference/cadence/):

* ``D1_persons.csv``  -- one wave, 300 teams, seed 11 (the main data set)
* ``D2_persons.csv``  -- one wave, 60 teams, seed 12 (small; some cadence levels sparse)
* ``D3_persons.csv``  -- 4 waves, 300 teams, seed 13 (a panel with policy switches), plus
  ``D3_team_waves.csv`` (team, wave, policy, switched, ...) and ``D3_switches.csv``
  (``org.truth["switches"]``)
* ``truth_D1.json``, ``truth_D2.json``, ``truth_D3.json`` -- ``org.truth`` of each simulation
* ``D4_big.csv``      -- one wave, 25,000 teams, about 200,000 respondents, drawn with plain
  numpy (seed 14) from a random-intercept model; used only to time lme4. Deterministic:
  the same file (byte for byte) every run. Kept out of git when over 20 MB (.gitignore).
* ``datasets.json``   -- sizes of everything written

D1-D3 come from the project's simulator. Person-level rows: the canonical responses of each
wave with every row flagged in ``org.latent`` (speeder, straight_liner, attention_failure,
is_duplicate, has_duplicate) dropped. Construct scores are computed here with plain pandas
(mean of the construct's items after reverse keying ``6 - x``; code 9 "does not apply" and
blanks are missing; NA when fewer than the construct's ``min_valid`` items are answered), so
the reference does not depend on the toolkit's own scoring code.

Floats are written with pandas' default (shortest repr that round-trips), so R's read.csv and
pandas read back exactly the same doubles.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from toolkit import load_survey, simulate  # noqa: E402

CADENCE = ["weekly", "biweekly", "monthly", "less_than_monthly", "none"]
FLAGS = ["speeder", "straight_liner", "attention_failure", "is_duplicate", "has_duplicate"]
CONSTRUCTS = [
    "availability",
    "holding_back",
    "depth",
    "reliability",
    "informal_contact",
    "engagement",
    "growth",
    "trust",
    "intent_to_stay",
]
SINGLE_ITEMS = ["depth_why", "hold_save_up"]
NA_CODE = 9


def _codes(col: pd.Series) -> np.ndarray:
    """Int8 codes as float, blanks and the not-applicable code 9 as NaN."""
    x = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    x[x == NA_CODE] = np.nan
    return x


def score(survey, df: pd.DataFrame, construct: str) -> np.ndarray:
    """Mean of the construct's items after reverse keying (6 - x); NaN below min_valid."""
    c = survey.constructs[construct]
    cols = []
    for item in c.items:
        x = _codes(df[item])
        if survey.item(item).reverse:
            x = 6.0 - x
        cols.append(x)
    m = np.column_stack(cols)
    n_valid = np.sum(~np.isnan(m), axis=1)
    with np.errstate(invalid="ignore"):
        s = np.nansum(m, axis=1) / n_valid
    s[n_valid < c.min_valid] = np.nan
    return s


def team_modal(persons: pd.DataFrame) -> pd.Series:
    """Modal reported cadence per (team, wave); ties go to the earlier code in CADENCE."""
    counts = (
        persons.groupby(["team", "wave"], observed=True)["cadence"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=CADENCE, fill_value=0)
    )
    # idxmax returns the first column holding the maximum, and the columns are in CADENCE order.
    return counts.idxmax(axis=1).rename("team_modal")


def person_table(org) -> pd.DataFrame:
    survey = org.survey
    tw = org.team_waves.set_index(["team", "wave"])
    parts = []
    for wave in org.waves:
        r = org.responses[wave]
        lat = org.latent[wave]
        assert r.index.equals(lat.index)
        flagged = lat[FLAGS].any(axis=1).to_numpy()
        r = r.loc[~flagged]
        out = pd.DataFrame(
            {
                "respondent": r["respondent"].astype(str).to_numpy(),
                "wave": r["wave"].astype(str).to_numpy(),
                "team": r["team"].astype(str).to_numpy(),
                "cadence": r["cadence"].astype(str).to_numpy(),
            }
        )
        for c in CONSTRUCTS:
            out[c] = score(survey, r, c)
        for it in SINGLE_ITEMS:
            out[it] = pd.array(_codes(r[it]), dtype="Float64").astype("Int64")
        parts.append(out)
    p = pd.concat(parts, ignore_index=True)
    assert set(p["cadence"]) <= set(CADENCE)
    key = pd.MultiIndex.from_frame(p[["team", "wave"]])
    p["division"] = tw["division"].reindex(key).astype(str).to_numpy()
    p["headcount"] = tw["headcount"].reindex(key).to_numpy()
    assert (p["headcount"] >= 1).all()
    p["log_size"] = np.log(p["headcount"].to_numpy(dtype=float))
    p["policy"] = tw["policy"].reindex(key).astype(str).to_numpy()
    modal = team_modal(p)
    p["team_modal"] = modal.reindex(key).to_numpy()
    cols = [
        "respondent",
        "wave",
        "team",
        "division",
        "headcount",
        "log_size",
        "cadence",
        "policy",
        "team_modal",
        *CONSTRUCTS,
        *SINGLE_ITEMS,
    ]
    return p[cols].sort_values(["wave", "team", "respondent"], kind="mergesort").reset_index(drop=True)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


def write_csv(df: pd.DataFrame, name: str) -> dict:
    path = HERE / name
    df.to_csv(path, index=False, lineterminator="\n")
    return {"file": name, "rows": len(df), "bytes": path.stat().st_size}


def big_data(seed: int = 14, n_teams: int = 25_000) -> pd.DataFrame:
    """D4: a random-intercept model with a cadence effect, drawn with plain numpy.

    Team sizes 4 + Binomial(8, 0.5) (4..12, mean 8); team policy from the shares
    30/30/25/10/5% (weekly..none); each person reports the policy, or with probability 0.12 a
    neighbouring code; 40 divisions; log_size = log(team size);
    y_k = 3.4 + delta_k(cadence) + 0.05 log_size + division effect + team effect + noise, with
    team effect ~ N(0, 0.25^2 .. 0.35^2) and noise ~ N(0, 0.85^2 .. 0.95^2) depending on k.
    Values are rounded to 6 decimals before writing, so the CSV is the data set.
    """
    rng = np.random.default_rng(seed)
    sizes = 4 + rng.binomial(8, 0.5, size=n_teams)
    policy = rng.choice(5, size=n_teams, p=[0.30, 0.30, 0.25, 0.10, 0.05])
    n_div = 40
    division = rng.integers(0, n_div, size=n_teams)
    team_idx = np.repeat(np.arange(n_teams), sizes)
    n = team_idx.size
    cad = policy[team_idx].copy()
    move = rng.random(n) < 0.12
    step = np.where(rng.random(n) < 0.5, -1, 1)
    step = np.where(cad == 0, 1, np.where(cad == 4, -1, step))
    cad[move] = cad[move] + step[move]
    log_size = np.log(sizes[team_idx].astype(float))
    deltas = np.array(
        [
            [0.24, 0.14, 0.0, -0.20, -0.55],  # y1: depth-like
            [0.05, 0.03, 0.0, -0.02, -0.05],  # y2: small effects
            [0.20, 0.12, 0.0, -0.16, -0.40],  # y3: reliability-like
            [0.0, 0.0, 0.0, 0.0, 0.0],  # y4: null
        ]
    )
    tau = [0.30, 0.25, 0.35, 0.30]
    sigma = [0.90, 0.85, 0.95, 0.90]
    div_eff = rng.normal(0.0, 0.2, size=(4, n_div))
    out = pd.DataFrame(
        {
            "team": np.char.add("T", np.char.zfill((team_idx + 1).astype(str), 5)),
            "cadence": np.array(CADENCE)[cad],
            "log_size": np.round(log_size, 6),
            "division": np.char.add("div", np.char.zfill((division[team_idx] + 1).astype(str), 2)),
        }
    )
    for k in range(4):
        b = rng.normal(0.0, tau[k], size=n_teams)[team_idx]
        e = rng.normal(0.0, sigma[k], size=n)
        y = 3.4 + deltas[k][cad] + 0.05 * log_size + div_eff[k][division[team_idx]] + b + e
        out[f"y{k + 1}"] = np.round(y, 6)
    return out


def main() -> None:
    survey = load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    manifest = {}
    specs = {
        "D1": {"teams": 300, "waves": 1, "seed": 11},
        "D2": {"teams": 60, "waves": 1, "seed": 12},
        "D3": {"teams": 300, "waves": 4, "seed": 13},
    }
    for name, kw in specs.items():
        org = simulate(survey, **kw)
        p = person_table(org)
        info = {"simulate": kw, "persons": write_csv(p, f"{name}_persons.csv")}
        n_raw = sum(len(org.responses[w]) for w in org.waves)
        info["rows_before_dropping_flagged"] = n_raw
        info["teams_with_respondents"] = int(p[["team", "wave"]].drop_duplicates().shape[0])
        info["cadence_counts"] = {c: int((p["cadence"] == c).sum()) for c in CADENCE}
        info["team_modal_counts_teams"] = {
            c: int((p.drop_duplicates(["team", "wave"])["team_modal"] == c).sum()) for c in CADENCE
        }
        (HERE / f"truth_{name}.json").write_text(json.dumps(_jsonable(dict(org.truth)), indent=1) + "\n")
        if name == "D3":
            tw = org.team_waves[["team", "wave", "division", "headcount", "policy", "switched"]].copy()
            tw["switched"] = tw["switched"].astype(int)
            tw = tw.sort_values(["team", "wave"], kind="mergesort").reset_index(drop=True)
            info["team_waves"] = write_csv(tw, "D3_team_waves.csv")
            sw = pd.DataFrame(org.truth["switches"], columns=["team", "wave", "previous_wave", "from", "to"])
            info["switches"] = write_csv(sw, "D3_switches.csv")
        manifest[name] = info
    big = big_data()
    path = HERE / "D4_big.csv"
    big.to_csv(path, index=False, lineterminator="\n", float_format="%.6f")
    manifest["D4"] = {
        "file": "D4_big.csv",
        "rows": len(big),
        "teams": int(big["team"].nunique()),
        "bytes": path.stat().st_size,
        "generator": "numpy default_rng(14), see big_data() in make_data.py",
    }
    (HERE / "datasets.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
