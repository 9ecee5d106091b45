"""Benchmark: the default cadence comparison (random team intercept, REML) against R's lme4.

Data: D4 of the cadence reference (``tests/reference/cadence/D4_big.csv``: 199,740 respondents in
25,000 teams, 40 divisions, outcomes y1..y4), regenerated with ``make_data.big_data()`` when the
file is missing. Times ``toolkit.stats.cadence.compare_cadence(d4, outcome=["y1", "y2", "y3", "y4"],
covariates=["log_size", "division"])`` (data frame in, results out: design, four REML fits,
Satterthwaite df, Hedges' g; best of ``--repeat``) against four calls of

    lme4::lmer(y_k ~ relevel(factor(cadence), "monthly") + log_size + factor(division) + (1 | team),
               data = d4, REML = TRUE)

timed with ``system.time`` inside R (the ``lmer()`` call only, as in the reference) when
``Rscript`` with lme4 is installed, else the committed figures of ``big_lmer_timing.csv``
(default optimizer, run 1). Then checks every fixed effect and its standard error against
``big_lmer_fixef.csv`` (lme4's default optimizer) to 1e-6. Run from the repository root::

    .venv/bin/python bench/bench_cadence.py [--repeat R] [--no-r]

The goal: at least 5 times faster than lme4, and equal to it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "cadence"
sys.path.insert(0, str(ROOT))

from toolkit.stats import cadence as cad  # noqa: E402

OUTCOMES = ["y1", "y2", "y3", "y4"]
COVS = ["log_size", "division"]
R_SCRIPT = """
suppressPackageStartupMessages(library(lme4))
d4 <- read.csv("{path}")
for (y in c("y1", "y2", "y3", "y4")) {{
  rhs <- 'relevel(factor(cadence), "monthly") + log_size + factor(division) + (1 | team)'
  f <- as.formula(paste(y, "~", rhs))
  t <- system.time(fit <- lmer(f, data = d4, REML = TRUE))
  cat(sprintf("ELAPSED %s %.3f\\n", y, t[["elapsed"]]))
}}
"""


def d4_path() -> Path:
    path = REF / "D4_big.csv"
    if not path.exists():
        sys.path.insert(0, str(REF))
        from make_data import big_data

        print(f"{path.name} missing: regenerating it with make_data.big_data()")
        big_data().to_csv(path, index=False, lineterminator="\n", float_format="%.6f")
    return path


def lme4_times(path: Path, use_r: bool) -> tuple[dict[str, float], str]:
    committed = pd.read_csv(REF / "big_lmer_timing.csv").query("optimizer == 'default' and run == 1")
    fallback = dict(zip(committed["outcome"], committed["elapsed_s"], strict=True))
    if not use_r or shutil.which("Rscript") is None:
        return fallback, "committed big_lmer_timing.csv (Rscript not run)"
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT.format(path=path.as_posix()))
    run = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=False)
    Path(fh.name).unlink()
    times = {m[1]: float(m[2]) for m in re.finditer(r"ELAPSED (\w+) ([\d.]+)", run.stdout)}
    if run.returncode != 0 or set(times) != set(OUTCOMES):
        print(f"Rscript failed ({run.stderr.strip()[-300:]}); using the committed figures")
        return fallback, "committed big_lmer_timing.csv (Rscript failed)"
    return times, "Rscript on this machine, system.time(lmer(...))"


def check_against_lme4(d4: pd.DataFrame) -> tuple[float, float]:
    """Largest |difference| of estimates and of SEs over every fixed effect of the 4 models."""
    ref = pd.read_csv(REF / "big_lmer_fixef.csv").query("optimizer == 'default'")
    data = cad._Data(d4, [*OUTCOMES, *COVS], "reported")
    worst_est = worst_se = 0.0
    for y in OUTCOMES:
        model = cad._fit(data, y, COVS, "lmm")
        r = ref[ref["outcome"] == y].set_index("term").loc[model.names]
        worst_est = max(worst_est, float(np.max(np.abs(model.beta - r["estimate"].to_numpy()))))
        se = np.sqrt(np.diag(model.vcov))
        worst_se = max(worst_se, float(np.max(np.abs(se - r["se"].to_numpy()))))
    return worst_est, worst_se


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-r", action="store_true", help="use the committed lme4 timings")
    args = parser.parse_args(argv)

    path = d4_path()
    d4 = pd.read_csv(path)
    print(f"D4: {len(d4):,} respondents in {d4['team'].nunique():,} teams, outcomes {', '.join(OUTCOMES)}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence (or any other) warning may reach a user
        ours, out = best_of(lambda: cad.compare_cadence(d4, outcome=OUTCOMES, covariates=COVS), args.repeat)
        worst_est, worst_se = check_against_lme4(d4)
    lme4, source = lme4_times(path, not args.no_r)
    total = sum(lme4.values())
    print(out[["outcome", "contrast", "estimate", "se", "df", "p_val", "g"]].to_string(index=False))
    print(f"\nlme4 lmer() per outcome ({source}): " + ", ".join(f"{k} {v:.2f} s" for k, v in lme4.items()))
    print(f"lme4, 4 outcomes:              {total:8.2f} s")
    print(f"compare_cadence, 4 outcomes:   {ours:8.3f} s (best of {args.repeat})")
    print(f"ratio lme4 / toolkit:          {total / ours:8.1f}x  (goal: at least 5x)")
    print(
        f"max |difference| to lme4 over all fixed effects: estimate {worst_est:.2e}, "
        f"SE {worst_se:.2e} (goal 1e-6)"
    )
    ok = total / ours >= 5 and worst_est < 1e-6 and worst_se < 1e-6
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
