"""Benchmark: careless-response flags on 1,000,000 responses to the default survey (40 items).

Times :func:`toolkit.ingest.careless.careless_flags` (and :func:`toolkit.ingest.careless.careless_failures`
on its flags) against the plain baseline ``responses[items].mean(axis=1)`` over the ordinal
items, in the same process, on a synthetic canonical table: random codes with 4% missing
answers, 3% speeders, 2% straight-liners and 1% duplicate submissions. Run from the
repository root::

    .venv/bin/python bench/bench_careless.py [N] [--repeat R]

The best of R runs is shown.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import best_of

from toolkit.ingest.careless import careless_failures, careless_flags
from toolkit.survey import load_survey
from toolkit.survey.schema import canonical_dtypes


def _table(survey, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dtypes = canonical_dtypes(survey)
    people = n - n // 100
    who = np.concatenate([np.arange(people), rng.integers(0, people, n - people)])
    straight = rng.random(n) < 0.02
    cols: dict[str, object] = {
        "respondent": pd.array(np.strings.add("p_", who.astype(str)), dtype="str"),
        "wave": pd.array(np.full(n, "2026Q1", dtype=object), dtype="str"),
        "team": pd.array(np.strings.add("t_", (who // 8).astype(str)), dtype="str"),
        "submitted_at": pd.Series(
            (1_767_225_600 + rng.integers(0, 86400 * 20, n)) * 1_000_000, dtype="datetime64[us]"
        )
        .dt.tz_localize("UTC")
        .array,
        "duration_s": pd.array(
            np.where(rng.random(n) < 0.03, 40.0, np.round(450 * np.exp(0.4 * rng.standard_normal(n)))),
            dtype="Float64",
        ),
    }
    for item in survey.items:
        if item.id not in dtypes:
            continue
        dtype = dtypes[item.id]
        if dtype == "Int8":
            codes = np.where(straight, 4, rng.integers(1, 6, n)).astype(np.int8)
            cols[item.id] = pd.arrays.IntegerArray(codes, (rng.random(n) < 0.04) & ~straight)
        elif isinstance(dtype, pd.CategoricalDtype):
            cols[item.id] = pd.Categorical.from_codes(rng.integers(0, len(dtype.categories), n), dtype=dtype)
        else:
            cols[item.id] = pd.array(np.full(n, None, dtype=object), dtype="str")
    return pd.DataFrame(cols)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="number of responses")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = parser.parse_args(argv)
    survey = load_survey("surveys/one_on_one_pulse.yaml")
    table = _table(survey, args.n)
    ordinal = [it.id for it in survey.items if it.kind == "ordinal"]

    t_flags, flags = best_of(lambda: careless_flags(table, survey), args.repeat)
    t_fail, failures = best_of(lambda: careless_failures(flags, table), args.repeat)
    t_base, _ = best_of(lambda: table[ordinal].mean(axis=1), args.repeat)
    items = len(survey.item_columns) + 1  # the team item is the `team` column
    print(f"responses: {args.n:,} x {items} items ({len(ordinal)} ordinal), best of {args.repeat}")
    print(
        f"flagged: {int(flags['speeder'].sum()):,} speeders, {int(flags['straight_liner'].sum()):,} "
        f"straight-liners, {int(flags['duplicate'].sum()):,} duplicates; {len(failures):,} failure records"
    )
    print(f"careless_flags                       : {t_flags:.3f} s")
    print(f"careless_failures                    : {t_fail:.3f} s")
    print(f"baseline responses[items].mean(axis=1): {t_base:.3f} s")
    print(f"ratio careless_flags / baseline      : {t_flags / t_base:.2f}")


if __name__ == "__main__":
    main()
