"""Benchmark: pseudonymise 1,000,000 employee ids.

Compares :func:`toolkit.privacy.pseudonym.pseudonymise` (normalisation, one HMAC per distinct id from
precomputed SHA-256 pad states, mapped back) with the plain baseline
``hmac.new(key, id, sha256).hexdigest()`` called once per id in a Python loop, in the same
process, and checks that both give the same pseudonyms. Run from the repository root::

    .venv/bin/python bench/bench_pseudonym.py [N] [--repeat R] [--distinct D]

``--distinct`` draws the ids from D distinct people (default: all N distinct, the worst
case for :func:`pseudonymise`, since every id has to be hashed). The best of R runs is shown.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets

import numpy as np
import pandas as pd
from _timing import best_of

from toolkit.privacy.pseudonym import pseudonymise


def _baseline(ids: list[str], key: bytes) -> list[str]:
    return ["p_" + hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest()[:24] for i in ids]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="number of ids")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    parser.add_argument("--distinct", type=int, default=None, help="distinct people among the ids")
    args = parser.parse_args(argv)
    distinct = args.distinct or args.n
    rng = np.random.default_rng(1)
    people = np.array([f"e{i:07d}" for i in range(distinct)], dtype=object)
    ids = people if distinct == args.n else people[rng.integers(0, distinct, args.n)]
    id_list = ids.tolist()
    series = pd.Series(id_list, dtype="str")
    key = secrets.token_hex(32).encode("ascii")

    t_toolkit, ours = best_of(lambda: pseudonymise(series, key), args.repeat)
    t_base, theirs = best_of(lambda: _baseline(id_list, key), args.repeat)
    if ours.tolist() != theirs:
        raise SystemExit("pseudonymise differs from the hmac.new baseline")
    print(f"ids: {args.n:,} ({distinct:,} distinct), best of {args.repeat}")
    print(f"pseudonymise                        : {t_toolkit:.3f} s")
    print(f"baseline hmac.new(...).hexdigest()  : {t_base:.3f} s")
    print(f"ratio pseudonymise / baseline       : {t_toolkit / t_base:.2f}")


if __name__ == "__main__":
    main()
