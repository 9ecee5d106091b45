"""The codebook and schema summary generated from a survey."""

from __future__ import annotations

import pandas as pd

from toolkit import codebook, response_schema, write_codebook
from toolkit.survey.codebook import CODEBOOK_COLUMNS, codebook_markdown, schema_summary
from toolkit.survey.schema import RULES


def test_codebook_documents_every_canonical_column(survey):
    cb = codebook(survey)
    assert list(cb.columns) == CODEBOOK_COLUMNS
    assert tuple(cb["variable"]) == survey.columns
    by_var = cb.set_index("variable")
    for item in survey.items:
        if item.role == "team":
            continue
        row = by_var.loc[item.id]
        assert row["label"] == item.text
        assert row["construct"] == (item.construct or "")
        assert row["role"] == (item.role or "")
        if item.construct:
            assert row["keying"] == ("reverse" if item.reverse else "forward")
    assert by_var.loc["avail_reachable", "value_labels"].startswith("1=Strongly disagree; 2=Disagree")
    assert by_var.loc["avail_reachable", "not_applicable"] == "9=Does not apply to me"
    assert by_var.loc["cadence", "value_labels"].startswith("weekly=Every week")
    assert by_var.loc["meeting_length", "asked_if"] == "cadence not in (none)"
    assert "Asked as: Which team" in by_var.loc["team", "label"]


def test_codebook_shows_lineage(mini_spec):
    import yaml

    from toolkit.survey import parse_survey

    mini_spec["items"][2]["replaces"] = {"item": "q1_v0", "comparable": True}
    cb = codebook(parse_survey(yaml.safe_dump(mini_spec, sort_keys=False)))
    assert cb.set_index("variable").loc["q1", "replaces"] == "q1_v0 (comparable)"


def test_markdown_lists_constructs_scales_and_variables(survey):
    md = codebook_markdown(survey)
    assert md.startswith(f"# Codebook: {survey.title}")
    for construct in survey.constructs.values():
        assert f"| `{construct.id}` | {construct.label} |" in md
    assert "`agree5` (ordinal): 1=Strongly disagree" in md
    assert "| `depth` |" in md and "`depth_repeats`" in md  # reverse-keyed item named
    # every variable has a table row
    for var in survey.columns:
        assert f"\n| {var} |" in md


def test_schema_summary_is_generated_from_the_schema(survey):
    schema = response_schema(survey)
    md = schema_summary(survey, schema)
    for name in schema.columns:
        assert f"| `{name}` |" in md
    assert "| `attention` | `Int8` | yes | required, allowed_values, attention_check |" in md
    assert "`asked_if` on `meeting_length`: answered only when cadence not in (none)" in md
    for rule in RULES:
        assert f"- `{rule}`:" in md


def test_write_codebook_writes_atomically_and_rewrites_in_place(survey, tmp_path):
    paths = write_codebook(survey, tmp_path / "cb")
    assert sorted(p.name for p in (tmp_path / "cb").iterdir()) == ["codebook.csv", "codebook.md", "schema.md"]
    first = {k: p.read_bytes() for k, p in paths.items()}
    write_codebook(survey, tmp_path / "cb")
    assert {k: p.read_bytes() for k, p in paths.items()} == first  # deterministic, no temp files left
    assert sorted(p.name for p in (tmp_path / "cb").iterdir()) == ["codebook.csv", "codebook.md", "schema.md"]
    back = pd.read_csv(paths["codebook_csv"], dtype="str", keep_default_na=False)
    pd.testing.assert_frame_equal(back, codebook(survey), check_dtype=False)
