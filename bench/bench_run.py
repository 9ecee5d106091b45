"""Benchmark: ``oneonone run --no-notebooks`` on a simulated organisation, step by step.

Target (issue: read_csv speed with a real roster): a 10,000-team organisation (about 90,000
people, two waves, a roster with names and emails, as ``oneonone simulate`` writes it) runs the
quarter (ingest both waves, score, compare, release, reports) in under 2 minutes.

Run: ``.venv/bin/python bench/bench_run.py [--teams N] [--waves N]``. The organisation is
simulated (not timed) into a temporary folder; the run is a child process, whose step table
(the run's own timings) is printed, with its wall time and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--waves", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "toolkit"]
    survey = str(ROOT / "surveys" / "one_on_one_pulse.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        org = Path(tmp) / "org"
        t0 = time.perf_counter()
        simulate = ["simulate", "--survey", survey, "--teams", str(args.teams), "--waves", str(args.waves)]
        subprocess.run([*cli, *simulate, "--seed", str(args.seed), "--out", str(org)], check=True)
        print(f"simulated in {time.perf_counter() - t0:.1f} s")
        exports = sorted((org / "exports").glob("qualtrics_*.csv"))
        last = exports[-1].stem.split("_")[-1]
        sys.path.insert(0, str(ROOT))
        from toolkit.simulate import pseudonym_key

        key = pseudonym_key(args.seed).decode()
        run = ["run", "--survey", survey, "--roster", str(org / "roster.csv")]
        run += ["--exports", str(org / "exports"), "--format", "qualtrics", "--wave", last]
        run += ["--out", str(Path(tmp) / "out"), "--no-notebooks"]
        env = {**os.environ, "ONEONONE_KEY": key, "COLUMNS": "120"}
        t0 = time.perf_counter()
        done = subprocess.run([*cli, *run], check=True, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
    summary = done.stdout.rfind(": done in")
    table = done.stdout[done.stdout.rfind("wave ", 0, summary) :].split("outputs")[0]
    print(table.rstrip())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB (Linux)
    what = f"oneonone run --no-notebooks, {args.teams:,} teams, {args.waves} waves"
    print(f"{what}: {wall:.1f} s (target < 120)")
    print(f"peak resident memory of the largest child process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
