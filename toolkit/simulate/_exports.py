"""The writers behind :meth:`toolkit.simulate.SimulatedOrg.write`.

The canonical response table as text, the Qualtrics and Google Forms exports, CSV files written
atomically, and the truth as plain JSON values for ``truth.json``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.survey import Survey

_Q_META = (
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)


def _write_csv(path: Path, df: pd.DataFrame) -> Path:
    return atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


def _canonical_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["submitted_at"] = out["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["duration_s"] = out["duration_s"].round().astype("Int64")
    return out


def _qualtrics_text(
    survey: Survey, df: pd.DataFrame, who: pd.DataFrame, latent: pd.DataFrame, rng: np.random.Generator
) -> str:
    n = len(df)
    end = df["submitted_at"]
    start = end - pd.to_timedelta(df["duration_s"].fillna(0).astype("float64"), unit="s")
    fmt = "%Y-%m-%d %H:%M:%S"
    alnum = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype="S1")
    rid = alnum[rng.integers(0, len(alnum), (n, 15))].view("S15").ravel().astype(str)
    ip = rng.integers(1, 255, (n, 2)).astype(str)
    meta = {
        "StartDate": start.dt.strftime(fmt),
        "EndDate": end.dt.strftime(fmt),
        "Status": 0,
        "IPAddress": np.strings.add(np.strings.add(np.strings.add("198.51.", ip[:, 0]), "."), ip[:, 1]),
        "Progress": 100,
        "Duration (in seconds)": df["duration_s"].round().astype("Int64").to_numpy(),
        "Finished": 1,
        "RecordedDate": end.dt.strftime(fmt),
        "ResponseId": np.strings.add("R_", rid),
        "RecipientLastName": who["last_name"].to_numpy(),
        "RecipientFirstName": who["first_name"].to_numpy(),
        "RecipientEmail": who["email"].to_numpy(),
        "ExternalReference": latent["employee_id"].to_numpy(),
        "LocationLatitude": np.round(52.52 + rng.normal(0, 0.3, n), 6),
        "LocationLongitude": np.round(13.40 + rng.normal(0, 0.5, n), 6),
        "DistributionChannel": "email",
        "UserLanguage": "EN",
    }
    cols: dict[str, Any] = {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in meta.items()}
    texts = [m[1] for m in _Q_META]
    imports = [m[2] for m in _Q_META]
    for i, it in enumerate(survey.items, start=1):
        if it.role == "team":
            cols[it.id] = df["team"].to_numpy()
        elif it.kind == "categorical":
            codes = df[it.id].cat.codes.to_numpy() + 1
            cols[it.id] = pd.array(np.where(codes > 0, codes, 0), dtype="Int64")
            cols[it.id][codes <= 0] = pd.NA
        else:
            cols[it.id] = df[it.id].to_numpy()
        texts.append(it.text)
        imports.append(f"QID{i}_TEXT" if it.kind == "text" else f"QID{i}")
    table = pd.DataFrame(cols, index=df.index)
    head = io.StringIO()
    writer = csv.writer(head, lineterminator="\n")
    writer.writerow(list(table.columns))
    writer.writerow(texts)
    writer.writerow([json.dumps({"ImportId": q}, separators=(",", ":")) for q in imports])
    return head.getvalue() + table.to_csv(index=False, header=False, lineterminator="\n")


def _google_forms_text(survey: Survey, df: pd.DataFrame, who: pd.DataFrame) -> str:
    local = df["submitted_at"].dt.tz_convert("Europe/Berlin")
    utc = df["submitted_at"].dt.tz_localize(None)
    offset_h = (local.dt.tz_localize(None) - utc).dt.total_seconds() / 3600
    hour = local.dt.hour
    h12 = (hour % 12).where(hour % 12 != 0, 12).astype(str)
    stamp = (
        local.dt.strftime("%Y/%m/%d ")
        + h12
        + local.dt.strftime(":%M:%S ")
        + np.where(hour < 12, "am", "pm")
        + np.where(offset_h > 1.5, " CEST", " CET")
    )
    cols: dict[str, Any] = {"Timestamp": stamp.to_numpy(), "Email Address": who["email"].to_numpy()}
    for it in survey.items:
        if it.role == "team":
            values = df["team"]
        elif it.scale is not None:
            scale = survey.scales[it.scale]
            labels = {c.code: c.label for c in scale.values + scale.not_applicable}
            s = df[it.id]
            values = (
                s.astype("object").map(labels)
                if it.kind == "ordinal"
                else s.cat.rename_categories([labels[c] for c in s.cat.categories]).astype("object")
            )
        else:
            values = df[it.id]
        cols[it.text] = np.asarray(values.to_numpy(), dtype=object)
    return pd.DataFrame(cols).to_csv(index=False, lineterminator="\r\n")


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x)
    return x
