"""LimeSurvey and KoboToolbox exports."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import InputError
from toolkit.ingest.export import read_export
from toolkit.ingest.kobo import read_kobo
from toolkit.ingest.limesurvey import read_limesurvey


def test_limesurvey_csv(small, contract, fixture_path):
    export = read_limesurvey(fixture_path("limesurvey.csv"), small)
    contract(export, small)
    t = export.table
    assert export.format == "limesurvey" and list(t.index) == [2, 3, 4]
    assert t["employee_id"].tolist() == ["e001", "e002", "e003"]
    assert t["reach"].tolist() == ["4", "2", "A5"]  # trust[reach] is item reach; A5 is not a code: kept
    assert t["cadence"].tolist() == ["weekly", "monthly", "monthly"]  # codes, or a label
    assert (
        t.loc[2, "duration_s"] == 300.5 and t.loc[4, "duration_s"] == 300
    )  # interviewtime, else end - start
    assert pd.isna(t.loc[3, "submitted_at"])  # an incomplete response has no submitdate
    assert set(export.dropped) == {"id", "ipaddr", "refurl", "token"}
    assert "commentTime" in export.ignored and export.missing_items == ("topics",)


def test_limesurvey_full_headings(small, contract, write):
    text = (
        "Response ID,Date submitted,Last page,Start language,Date started,IP address,"
        "Which team are you part of?\n"
        "7,2026-02-02 08:05:00,2,en,2026-02-02 08:00:00,10.0.0.1,t9\n"
    )
    export = read_export(write("full.csv", text), small)
    contract(export, small)
    assert export.format == "limesurvey" and export.table.loc[2, "team"] == "t9"
    assert set(export.dropped) == {"Response ID", "IP address"}


def test_limesurvey_without_submitdate(small, write):
    with pytest.raises(InputError, match="missing required metadata column submitdate"):
        read_export(write("l.csv", "id;lastpage;team\n1;2;t1\n"), small, format="limesurvey")


def test_kobo_csv(small, contract, fixture_path):
    export = read_kobo(fixture_path("kobo.csv"), small)
    contract(export, small)
    t = export.table
    assert export.format == "kobo" and list(t.index) == [2, 3]
    assert t["team"].tolist() == ["t1", "t2"] and t["cadence"].tolist() == ["weekly", "monthly"]
    assert t["reach"].tolist() == ["4", "4"]  # group/sub/q by its last segment; a label
    assert str(t.loc[2, "submitted_at"]) == "2026-02-02 08:05:00+00:00"  # end, with its offset
    assert str(t.loc[3, "submitted_at"]) == "2026-02-02 09:03:00+00:00"  # no end: _submission_time (UTC)
    assert t.loc[2, "duration_s"] == 300
    assert {"_uuid", "_id", "deviceid", "_submitted_by", "where", "_where_latitude"} <= set(export.dropped)
    assert {"_index", "today", "__version__"} <= set(export.ignored)


def test_kobo_xlsx_reads_the_first_sheet_and_lists_repeat_groups(small, contract, workbook):
    main = [
        ["start", "end", "grp/team", "grp/reach", "_uuid", "_submission_time", "_index"],
        ["2026-02-02T09:00:00+01:00", "2026-02-02T09:02:00+01:00", "t1", "5", "u1", "2026-02-02T08:03:00", 1],
    ]
    meetings = [["grp/meeting/when", "_parent_index"], ["monday", 1]]
    export = read_export(workbook("kobo.xlsx", {"main": main, "meetings": meetings}), small)
    contract(export, small)
    assert export.format == "kobo" and export.table.loc[2, "reach"] == "5"
    assert "sheet:meetings" in export.ignored and export.table.loc[2, "duration_s"] == 120


def test_kobo_without_times(small, write):
    with pytest.raises(InputError, match=r"missing required metadata column end \(or _submission_time\)"):
        read_export(write("k.csv", "_uuid;grp/team\nu;t1\n"), small, format="kobo")


def test_kobo_name_questions_are_dropped_and_location_questions_are_not(small, fixture_path, write):
    """A Kobo form that asks ``Enter_name`` is an identifier (dropped and listed); a question that
    only mentions locations is just a question that no item answers (ignored)."""
    lines = fixture_path("kobo.csv").read_text(encoding="utf-8").splitlines()
    lines[0] += ";about/Enter_name;about/How_many_locations"
    lines[1:] = [line + ";Ana Lopez;2" for line in lines[1:]]
    export = read_export(write("kobo_names.csv", "\n".join(lines) + "\n"), small)
    assert "about/Enter_name" in export.dropped
    assert "about/How_many_locations" in export.ignored
    assert "Ana Lopez" not in export.table.to_csv()
