"""Benchmark of :func:`toolkit.simulate.simulate` at organisation scale.

Simulates 10,000 teams (about 85,000 employees) over 4 waves and prints the wall time and
peak memory (tracemalloc, which sees numpy buffers but not pyarrow's string buffers, and the
process's maximum resident set size, which sees everything), against a baseline in the same
process: one numpy draw of as many standard normal values as the simulation draws latent and
item values. Targets: under 30 s
and under 2 GiB. Run from the repository root::

    .venv/bin/python bench/bench_simulate.py [--teams 10000] [--waves 4] [--write DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.simulate import simulate
from toolkit.survey import load_survey

_GIB = 2**30


def _timed(fn):
    """Run ``fn`` twice: once for the wall time, once under tracemalloc for the peak memory
    (tracemalloc slows allocation-heavy code, so it does not time the first run)."""
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    del out
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, seconds, peak


def _maxrss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / _GIB  # kilobytes on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--waves", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, default=None, help="also write the files to this directory")
    args = parser.parse_args(argv)

    survey = load_survey(Path(__file__).resolve().parents[1] / "surveys" / "one_on_one_pulse.yaml")
    simulate(survey, teams=5, waves=1, seed=args.seed)  # warm-up: imports and first calls

    org, seconds, peak = _timed(lambda: simulate(survey, teams=args.teams, waves=args.waves, seed=args.seed))
    employees = org.roster.groupby("wave").size()
    responses = sum(len(r) for r in org.responses.values())
    n_items = len(survey.item_columns)
    n_latent = len(org.latent[org.waves[0]].filter(like="eta_").columns)
    n_values = int(employees.sum()) * n_latent + responses * n_items

    rng = np.random.default_rng(args.seed)
    _, base_seconds, base_peak = _timed(lambda: rng.standard_normal(n_values))

    print(
        f"simulate: {args.teams} teams, {args.waves} waves, {int(employees.mean())} employees per wave "
        f"on average, {responses} response rows"
    )
    print(f"  wall time  {seconds:8.2f} s   (target < 30 s)")
    print(f"  peak traced memory {peak / _GIB:8.3f} GiB   (target < 2 GiB)")
    print(f"baseline: numpy standard_normal of {n_values:,} values")
    print(f"  wall time  {base_seconds:8.2f} s   peak traced memory {base_peak / _GIB:.3f} GiB")
    print(f"ratio simulate / baseline: time {seconds / base_seconds:.1f}x, memory {peak / base_peak:.1f}x")
    rss = _maxrss()
    print(
        f"process max resident set size after simulating {rss:.3f} GiB (target < 2 GiB; includes "
        "Python, numpy, pandas, pyarrow and both runs)"
    )
    if args.write is not None:
        t0 = time.perf_counter()
        paths = org.write(args.write)
        print(f"write: {len(paths)} files in {time.perf_counter() - t0:.2f} s")
        print(f"process max resident set size after writing {_maxrss():.3f} GiB")
    ok = seconds < 30 and peak < 2 * _GIB and rss < 2
    print("OK" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
