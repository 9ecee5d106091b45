"""Benchmark: release and manager reports for a simulated organisation of 10,000 teams.

Target (issue on reports): release plus one report per team in under 60 s on two cores, peak memory
under 4 GiB. Run with ``.venv/bin/python bench/bench_reports.py [--teams N] [--out DIR]``; prints
the time of each step, reports per second and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import toolkit
from toolkit.report import write_manager_reports, write_organisation_report

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--waves", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: a temporary one)")
    args = parser.parse_args(argv)
    survey = toolkit.load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")

    t0 = time.perf_counter()
    org = toolkit.simulate(survey, teams=args.teams, waves=args.waves, seed=args.seed)
    valid = pd.concat(
        [toolkit.validate(org.responses[w], survey).valid for w in org.waves], ignore_index=True
    )
    invited = org.team_waves[["team", "wave", "headcount"]].rename(columns={"headcount": "invited"})
    t_setup = time.perf_counter() - t0
    print(
        f"setup (simulate + validate, not timed against the target): {t_setup:.1f} s, {len(valid)} responses"
    )

    t1 = time.perf_counter()
    rel = toolkit.release(valid, survey, org.units, invited=invited)
    t_release = time.perf_counter() - t1
    print(f"release: {t_release:.1f} s, {len(rel):,} rows")

    wave = org.waves[-1]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t2 = time.perf_counter()
        manifest = write_manager_reports(rel, survey, org.units, wave=wave, out_dir=out, managers=org.teams)
        t_reports = time.perf_counter() - t2
        t3 = time.perf_counter()
        write_organisation_report(rel, survey, org.units, wave=wave, out_dir=out)
        t_org = time.perf_counter() - t3
        size = sum(p.stat().st_size for p in Path(out).glob("*.html")) / len(manifest)
    total = t_release + t_reports + t_org
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(
        f"manager reports: {len(manifest)} in {t_reports:.1f} s = {len(manifest) / t_reports:.0f} reports/s "
        f"({manifest['suppressed'].sum()} suppressed, {size / 1024:.0f} KiB each on average)"
    )
    print(f"organisation report: {t_org:.1f} s")
    print(f"release + reports: {total:.1f} s (target < 60 s); peak memory {peak:.2f} GiB (target < 4 GiB)")
    return 0 if total < 60 and peak < 4 else 1


if __name__ == "__main__":
    sys.exit(main())
