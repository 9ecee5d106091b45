"""Benchmark of :func:`toolkit.privacy.disclosure.release` on a simulated organisation of 10,000 teams.

Run from the repository root: ``.venv/bin/python bench/bench_release.py [teams] [waves]``.
Target: under 60 s and under 4 GiB peak memory (resident set) on two cores.
"""

from __future__ import annotations

import resource
import sys
import time

import toolkit
from toolkit.privacy.disclosure import release


def main(teams: int = 10_000, waves: int = 2) -> None:
    survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    t0 = time.perf_counter()
    org = toolkit.simulate(survey, teams=teams, waves=waves, seed=1)
    responses = toolkit.validate(
        __import__("pandas").concat(list(org.responses.values()), ignore_index=True), survey
    ).valid
    invited = org.roster.groupby(["team", "wave"]).size().rename("invited").reset_index()
    t1 = time.perf_counter()
    rel = release(responses, survey, org.units, invited=invited)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"teams={teams} waves={waves} responses={len(responses):,} (simulate+validate {t1 - t0:.1f} s)")
    print(
        f"release: {t2 - t1:.1f} s, {len(rel):,} rows ({len(rel) / (t2 - t1):,.0f} rows/s), "
        f"analyst rows {int((rel['audience'] == 'analyst').sum()):,}, "
        f"audiences {rel['audience'].nunique():,}"
    )
    print(f"peak memory (process, incl. simulation): {peak:.2f} GiB")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
