"""Benchmark: the Qualtrics reader against plain ``pandas.read_csv`` of the same file.

Target: :func:`toolkit.ingest.read_export` of a 1,000,000-row export of the default survey
(39 item columns plus the team item and 17 Qualtrics metadata and identifier columns, three
header rows, ``-99`` and empty cells) in at most about 1.5 times the time of
``pandas.read_csv(path)``, both measured in this process (best of ``--repeat`` runs). Peak
memory (maximum resident set size) of each is measured in a fresh child process.

Run: ``.venv/bin/python bench/bench_readers.py [--rows N] [--repeat K]``. The file is
generated (not timed) in a temporary folder with pyarrow's CSV writer.
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
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.ingest.export import read_export  # noqa: E402
from toolkit.survey import load_survey  # noqa: E402

SURVEY = ROOT / "surveys" / "one_on_one_pulse.yaml"


def write_export(path: Path, survey, n: int, rng: np.random.Generator) -> None:
    """A Qualtrics-style export of ``n`` responses (vectorised; a few seconds for a million)."""
    end = pd.Timestamp("2026-07-01T08:00:00") + pd.to_timedelta(rng.integers(0, 14 * 86400, n), unit="s")
    duration = rng.integers(60, 1800, n)
    ids = np.strings.add("e", np.arange(n).astype(str))
    cols: dict[str, object] = {
        "StartDate": (end - pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": end.strftime("%Y-%m-%d %H:%M:%S"),
        "Status": np.where(rng.random(n) < 0.001, 1, 0),
        "IPAddress": np.strings.add("198.51.100.", rng.integers(1, 255, n).astype(str)),
        "Progress": 100,
        "Duration (in seconds)": duration,
        "Finished": 1,
        "RecordedDate": end.strftime("%Y-%m-%d %H:%M:%S"),
        "ResponseId": np.strings.add("R_", np.arange(n).astype(str)),
        "RecipientLastName": "Doe",
        "RecipientFirstName": "Jo",
        "RecipientEmail": np.strings.add(ids, "@example.org"),
        "ExternalReference": ids,
        "LocationLatitude": 52.5,
        "LocationLongitude": 13.4,
        "DistributionChannel": "email",
        "UserLanguage": "EN",
    }
    texts, imports = list(cols), list(cols)
    for i, item in enumerate(survey.items, start=1):
        if item.role == "team":
            values = np.strings.add("t", (np.arange(n) // 8).astype(str))
        elif item.kind == "categorical":
            values = rng.integers(1, len(survey.scales[item.scale].allowed) + 1, n).astype(str)
        elif item.kind == "ordinal":
            values = rng.choice(
                np.array(["1", "2", "3", "4", "5", "9", "-99"]), n, p=[0.2] * 4 + [0.16] + [0.02] * 2
            )
        else:
            values = np.where(rng.random(n) < 0.1, "Our 1:1s are useful, mostly.", "")
        blank = rng.random(n) < 0.02
        cols[item.id] = pa.array(np.asarray(values, dtype=object), mask=blank, type=pa.string())
        texts.append(item.text)
        imports.append(f"QID{i}_TEXT" if item.kind == "text" else f"QID{i}")
    table = pa.table(
        {k: (v if isinstance(v, pa.Array) else pa.array(np.broadcast_to(v, n))) for k, v in cols.items()}
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(list(cols))
        writer.writerow(texts)
        writer.writerow([json.dumps({"ImportId": q}, separators=(",", ":")) for q in imports])
    with path.open("ab") as fh:
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="needed"))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _peak_mib(which: str, path: Path) -> float:
    # VmHWM (not ru_maxrss, which a child started by fork and exec inherits from its parent)
    code = (
        f"import re, sys, warnings; sys.path.insert(0, {str(ROOT)!r})\n"
        "import pandas as pd\n"
        "from toolkit.ingest.export import read_export\n"
        "from toolkit.survey import load_survey\n"
        "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        f"s = load_survey({str(SURVEY)!r})\n"
        "base = hwm()\n"
        "warnings.simplefilter('ignore')\n"
        f"x = pd.read_csv({str(path)!r}) if {which!r} == 'read_csv' else read_export({str(path)!r}, s)\n"
        "print(hwm(), base)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    peak, base = map(int, out.split())
    return peak / 1024, base / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    survey = load_survey(SURVEY)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qualtrics.csv"
        t0 = time.perf_counter()
        write_export(path, survey, args.rows, np.random.default_rng(7))
        size = path.stat().st_size / 2**20
        print(f"wrote {args.rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        base, typed, ours = [], [], []
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # the header rows make columns mixed
        for _ in range(args.repeat):
            base.append(_timed(lambda: pd.read_csv(path)))
            typed.append(_timed(lambda: pd.read_csv(path, skiprows=[1, 2])))
            ours.append(_timed(lambda: read_export(path, survey)))
        export = read_export(path, survey)
        print(f"rows read: {len(export.table):,}; failures: {len(export.failures):,}")
        b, t, o = min(base), min(typed), min(ours)
        print(
            f"pandas.read_csv(path): {b:.2f} s   read_export: {o:.2f} s   ratio: {o / b:.2f} (target <= 1.5)"
        )
        print(
            f"stricter baseline, pandas.read_csv(path, skiprows=[1, 2]) (typed): {t:.2f} s, ratio {o / t:.2f}"
        )
        (pb, start), (po, _) = _peak_mib("read_csv", path), _peak_mib("read_export", path)
        print(f"peak RSS: read_csv {pb:.0f} MiB, read_export {po:.0f} MiB (after imports: {start:.0f} MiB)")
        print(f"table in memory: {export.table.memory_usage(deep=True).sum() / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
