"""Benchmark: ingest a large Qualtrics-style export against plain pandas.read_csv of the same file.

Target (issue: ingest): 1,000,000 rows of the default survey (39 item columns plus 17
Qualtrics metadata and identifier columns) read, mapped, pseudonymised, validated and written
to the Parquet store in at most 2.5 times the time of ``pandas.read_csv`` of the file,
measured in the same process, with peak memory under 3 GiB.

Run: ``.venv/bin/python bench/bench_ingest.py [--rows N]``. The file is generated (not timed)
in a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import load_survey  # noqa: E402
from toolkit.ingest.pipeline import ingest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import peak_rss_gib  # noqa: E402


def write_export(path: Path, survey, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A Qualtrics-style export of ``n`` responses and the roster they come from."""
    teams = np.char.add("t", (np.arange(n) // 8).astype(str))
    employees = np.char.add("e", np.arange(n).astype(str))
    end = pd.Timestamp("2026-07-01T08:00:00") + pd.to_timedelta(rng.integers(0, 14 * 86400, n), unit="s")
    duration = rng.integers(120, 900, n)
    cols: dict[str, object] = {
        "StartDate": (end - pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": end.strftime("%Y-%m-%d %H:%M:%S"),
        "Status": 0,
        "IPAddress": "198.51.100.7",
        "Progress": 100,
        "Duration (in seconds)": duration,
        "Finished": 1,
        "RecordedDate": end.strftime("%Y-%m-%d %H:%M:%S"),
        "ResponseId": np.char.add("R_", np.arange(n).astype(str)),
        "RecipientLastName": "Doe",
        "RecipientFirstName": "Jo",
        "RecipientEmail": np.char.add(employees, "@example.org"),
        "ExternalReference": employees,
        "LocationLatitude": 52.5,
        "LocationLongitude": 13.4,
        "DistributionChannel": "email",
        "UserLanguage": "EN",
    }
    texts = list(cols)
    imports = list(cols)
    for i, item in enumerate(survey.items, start=1):
        if item.role == "team":
            cols[item.id] = teams
        elif item.role == "attention_check":
            cols[item.id] = item.expected
        elif item.kind == "categorical":
            k = len(survey.scales[item.scale].codes)
            cols[item.id] = rng.integers(1, k, n)  # never the last code ("none" for cadence)
        elif item.kind == "ordinal":
            cols[item.id] = rng.integers(1, 6, n)
        else:
            cols[item.id] = np.where(rng.random(n) < 0.05, "Our 1:1s are useful.", "")
        texts.append(item.text)
        imports.append(f"QID{i}")
    table = pd.DataFrame(cols)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(table.columns))
        writer.writerow(texts)
        writer.writerow([json.dumps({"ImportId": q}) for q in imports])
        table.to_csv(fh, index=False, header=False)
    return pd.DataFrame({"employee_id": employees, "team": teams})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of each")
    parser.add_argument("--generate-only", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--ingest-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    survey = load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    if args.generate_only is not None:
        roster = write_export(args.generate_only, survey, args.rows, np.random.default_rng(1))
        roster.to_parquet(args.generate_only.with_suffix(".roster.parquet"))
        return
    if args.ingest_only is not None:  # one ingest in a fresh process: its own peak memory
        roster = pd.read_parquet(args.ingest_only.with_suffix(".roster.parquet"))
        store = args.ingest_only.with_name("store_alone")
        ingest(args.ingest_only, survey, roster=roster, wave="2026Q3", store=store, key=b"k" * 32)
        print(peak_rss_gib())
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        t0 = time.perf_counter()
        # generated in a child process, so that the peak memory below is that of reading and ingesting
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--generate-only", str(path)]
        subprocess.run(cmd, check=True)
        roster = pd.read_parquet(path.with_suffix(".roster.parquet"))
        size = path.stat().st_size / 2**20
        print(f"generated {args.rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - t0:.1f} s")

        t_read, t_ingest = [], []
        for attempt in range(args.repeat):  # alternate, so that load on the machine hits both alike
            t0 = time.perf_counter()
            with warnings.catch_warnings():  # the header rows make pandas guess mixed types
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                baseline = pd.read_csv(path)
            t_read.append(time.perf_counter() - t0)
            del baseline
            t0 = time.perf_counter()
            store = Path(tmp) / f"store{attempt}"
            result = ingest(path, survey, roster=roster, wave="2026Q3", store=store, key=b"k" * 32)
            t_ingest.append(time.perf_counter() - t0)
        peak = peak_rss_gib()
        cmd = [sys.executable, __file__, "--ingest-only", str(path)]
        alone = float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()[-1])
    t_read, t_ingest = min(t_read), min(t_ingest)

    print(f"best of {args.repeat}:")
    print(f"pandas.read_csv: {t_read:6.2f} s")
    counts = f"{result.rows_stored:,} stored, {result.rows_quarantined:,} quarantined"
    print(f"ingest:          {t_ingest:6.2f} s  ({counts})")
    print(f"ratio ingest / read_csv: {t_ingest / t_read:.2f}  (target <= 2.5)")
    print(f"peak resident memory of one ingest alone (a fresh process): {alone:.2f} GiB  (target < 3)")
    print(f"peak resident memory of this process ({args.repeat} read_csv and ingest each): {peak:.2f} GiB")


if __name__ == "__main__":
    main()
