"""Benchmark: ``oneonone ingest`` of a large Qualtrics-style export against pandas.read_csv of the file.

Target (issues: ingest, read_csv speed with a real roster): 1,000,000 rows of the default
survey (39 item columns plus 17 Qualtrics metadata and identifier columns), from a roster of
1,000,000 people with names and emails (``bench/_people.py``: teams of 3 to 25, names from many
languages, a comment in every row, a fifth of them naming colleagues, some addresses, missing
answers, failed attention checks and duplicate submissions), ingested through the command line
(click's ``main`` in this process: reading the roster CSV, the export, pseudonymising, scrubbing
the comments of every roster name and address, validating, storing, writing the ingest report)
in at most 2.5 times the time of ``pandas.read_csv`` of the same file, measured alternately in
the same process, with peak memory under 3 GiB (one ingest in a fresh process).

Run: ``.venv/bin/python bench/bench_ingest.py [--rows N] [--repeat N]``. The files are generated
(not timed) in a temporary folder, by a child process.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _people import comments as people_comments  # noqa: E402
from _people import roster as people_roster  # noqa: E402
from _timing import peak_rss_gib  # noqa: E402

KEY = "6b" * 32


def write_export(path: Path, survey, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A Qualtrics-style export of ``n`` responses and the roster they come from."""
    people = people_roster(n, rng)
    # about 1% submit twice (the later submission replaces nothing: careless_flags decides)
    twice = np.flatnonzero(rng.random(n) < 0.01)
    order = np.sort(np.concatenate([np.arange(n), twice]))[:n]
    who = people.iloc[order].reset_index(drop=True)
    employees, teams = who["employee_id"].to_numpy(), who["team"].to_numpy()
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
        "RecipientLastName": who["name"].str.split().str[-1].to_numpy(),
        "RecipientFirstName": who["name"].str.split().str[0].to_numpy(),
        "RecipientEmail": who["email"].to_numpy(),
        "ExternalReference": employees,
        "LocationLatitude": 52.5,
        "LocationLongitude": 13.4,
        "DistributionChannel": "email",
        "UserLanguage": "EN",
    }
    texts = list(cols)
    imports = list(cols)
    skipped = rng.random(n) < 0.03  # a few people skip a required answer: quarantined
    for i, item in enumerate(survey.items, start=1):
        if item.role == "team":
            cols[item.id] = teams
        elif item.role == "attention_check":
            cols[item.id] = np.where(rng.random(n) < 0.01, (item.expected % 5) + 1, item.expected)
        elif item.kind == "categorical":
            k = len(survey.scales[item.scale].codes)
            codes = rng.integers(1, k, n).astype(object)  # never the last code ("none" for cadence)
            cols[item.id] = np.where(rng.random(n) < (0.0 if item.required else 0.1), "", codes)
        elif item.kind == "ordinal":
            codes = rng.integers(1, 6, n).astype(object)
            missing = (rng.random(n) < 0.01) & (skipped if item.required else True)
            cols[item.id] = np.where(missing, "", codes)
        else:
            cols[item.id] = people_comments(who, rng)
        texts.append(item.text)
        imports.append(f"QID{i}")
    table = pd.DataFrame(cols)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(table.columns))
        writer.writerow(texts)
        writer.writerow([json.dumps({"ImportId": q}) for q in imports])
        table.to_csv(fh, index=False, header=False)
    return people


def _cli_ingest(path: Path, store: Path) -> None:
    """``oneonone ingest`` through click's main, in this process."""
    from toolkit.cli import main as cli

    roster = path.with_suffix(".roster.csv")
    args = ["ingest", str(path), "--survey", str(ROOT / "surveys" / "one_on_one_pulse.yaml")]
    args += ["--roster", str(roster), "--wave", "2026Q3", "--store", str(store)]
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(args, standalone_mode=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of each")
    parser.add_argument("--generate-only", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--ingest-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    survey = load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    os.environ["ONEONONE_KEY"] = KEY
    if args.generate_only is not None:
        roster = write_export(args.generate_only, survey, args.rows, np.random.default_rng(1))
        roster.to_csv(args.generate_only.with_suffix(".roster.csv"), index=False)
        return
    if args.ingest_only is not None:  # one ingest in a fresh process: its own peak memory
        _cli_ingest(args.ingest_only, args.ingest_only.with_name("store_alone"))
        print(peak_rss_gib())
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        t0 = time.perf_counter()
        # generated in a child process, so that the peak memory below is that of reading and ingesting
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--generate-only", str(path)]
        subprocess.run(cmd, check=True)
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
            _cli_ingest(path, store)
            t_ingest.append(time.perf_counter() - t0)
            counts = json.loads((store / "manifest.json").read_text())["waves"]["2026Q3"]
        peak = peak_rss_gib()
        cmd = [sys.executable, __file__, "--ingest-only", str(path)]
        alone = float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()[-1])
    t_read, t_ingest = min(t_read), min(t_ingest)

    print(f"best of {args.repeat}:")
    print(f"pandas.read_csv: {t_read:6.2f} s")
    stored = f"{counts['rows_stored']:,} stored, {counts['rows_quarantined']:,} quarantined"
    print(f"oneonone ingest: {t_ingest:6.2f} s  ({stored})")
    print(f"ratio ingest / read_csv: {t_ingest / t_read:.2f}  (target <= 2.5)")
    print(f"peak resident memory of one ingest alone (a fresh process): {alone:.2f} GiB  (target < 3)")
    print(f"peak resident memory of this process ({args.repeat} read_csv and ingest each): {peak:.2f} GiB")


if __name__ == "__main__":
    main()
