"""Benchmark: pseudonymise 1,000,000 employee ids.

Compares :func:`toolkit.privacy.pseudonym.pseudonymise` (normalisation, one HMAC per distinct id from
precomputed SHA-256 pad states, mapped back) with the plain baseline
``hmac.new(key, id, sha256).hexdigest()`` called once per id in a Python loop, in the same
process, and checks that both give the same pseudonyms; and the digests alone from the
precomputed pad states against the standard library's ``hmac.new(key, digestmod=sha256).copy()``
per id (the same bytes). Run from the repository root::

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

from toolkit.privacy.pseudonym import _hmac_digests, pseudonymise


def _baseline(ids: list[str], key: bytes) -> list[str]:
    return ["p_" + hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest()[:24] for i in ids]


def _stdlib_copy(key: bytes, messages: list[bytes]) -> bytes:
    """The standard library's way to reuse a key: one ``hmac.new`` template, ``.copy()`` per message."""
    template = hmac.new(key, digestmod=hashlib.sha256)
    copy, out = template.copy, []
    for message in messages:
        h = copy()
        h.update(message)
        out.append(h.digest())
    return b"".join(out)


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

    messages = [i.encode("utf-8") for i in dict.fromkeys(id_list)]
    t_pads, pads = best_of(lambda: _hmac_digests(key, messages), args.repeat)
    t_copy, copied = best_of(lambda: _stdlib_copy(key, messages), args.repeat)
    if pads != copied:
        raise SystemExit("the pad states and hmac.new(...).copy() give different digests")
    t_toolkit, ours = best_of(lambda: pseudonymise(series, key), args.repeat)
    t_base, theirs = best_of(lambda: _baseline(id_list, key), args.repeat)
    if ours.tolist() != theirs:
        raise SystemExit("pseudonymise differs from the hmac.new baseline")
    print(f"ids: {args.n:,} ({distinct:,} distinct), best of {args.repeat}")
    print(f"pseudonymise                        : {t_toolkit:.3f} s")
    print(f"baseline hmac.new(...).hexdigest()  : {t_base:.3f} s")
    print(f"ratio pseudonymise / baseline       : {t_toolkit / t_base:.2f}")
    print(f"digests of {len(messages):,} distinct ids, pad states (toolkit): {t_pads:.3f} s")
    print(f"digests, hmac.new(key).copy() per id (stdlib) : {t_copy:.3f} s ({t_copy / t_pads:.2f}x)")


if __name__ == "__main__":
    main()
