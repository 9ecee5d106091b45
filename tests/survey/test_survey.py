"""The survey format: the default survey loads, and every malformed survey is reported with
the file, the key path and the line."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.conftest import MINIMAL_SURVEY, SURVEY_PATH
from toolkit import SurveyError, load_survey
from toolkit.survey import CADENCE_CODES, parse_survey


def test_default_survey_has_the_constructs_the_toolkit_studies(survey):
    assert set(survey.constructs) >= {
        "availability",
        "holding_back",
        "depth",
        "reliability",
        "informal_contact",
        "engagement",
        "growth",
        "trust",
        "intent_to_stay",
    }
    for construct in survey.constructs.values():
        assert len(construct.items) >= 3
        assert 1 <= construct.min_valid <= len(construct.items)
    assert any(survey.item(i).reverse for c in survey.constructs.values() for i in c.items)


def test_default_survey_roles(survey):
    assert survey.role_item("cadence").id == "cadence"
    assert survey.scale_of("cadence").codes == CADENCE_CODES
    assert survey.role_item("meeting_length").ask_if.describe() == "cadence not in (none)"
    [check] = survey.items_with_role("attention_check")
    assert check.expected in survey.scale_of(check.id).codes
    assert 2 <= len(survey.items_with_role("demographic")) <= 3
    assert len(survey.items_with_role("comment")) == 1
    assert not survey.item("comment").required


def test_every_construct_item_knows_its_construct(survey):
    for cid, construct in survey.constructs.items():
        for iid in construct.items:
            assert survey.item(iid).construct == cid
    unscored = [it.id for it in survey.items if it.construct is None]
    assert all(survey.item(i).role is not None for i in unscored)


def test_columns_put_metadata_first_and_team_item_has_no_column(survey):
    assert survey.columns[:5] == ("respondent", "wave", "team", "submitted_at", "duration_s")
    assert survey.columns.count("team") == 1
    assert len(survey.columns) == 5 + len(survey.items) - 1


def test_lookup_errors(survey):
    with pytest.raises(KeyError, match="no item 'nope'"):
        survey.item("nope")
    with pytest.raises(ValueError, match="role must be one of"):
        survey.items_with_role("boss")
    with pytest.raises(KeyError, match="has no code 7"):
        survey.scales["agree5"].label_of(7)
    assert survey.scales["agree5"].label_of(9) == "Does not apply to me"


def test_minimal_survey_defaults(mini_survey):
    q2 = mini_survey.item("q2")
    assert (q2.required, q2.reverse, q2.role, q2.kind) == (False, False, None, "ordinal")
    assert mini_survey.item("note").kind == "text"
    assert mini_survey.constructs["depth"].min_valid == 2


def test_min_valid_defaults_to_half_the_items_rounded_up(mini_spec):
    del mini_spec["constructs"]["depth"]["min_valid"]
    assert _parse(mini_spec).constructs["depth"].min_valid == 2


def test_lineage_is_kept(mini_spec):
    mini_spec["items"][2]["replaces"] = {"item": "q1_old", "comparable": False, "note": "reworded"}
    item = _parse(mini_spec).item("q1")
    assert (item.replaces.item, item.replaces.comparable, item.replaces.note) == ("q1_old", False, "reworded")


def test_load_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL_SURVEY.encode())
    assert load_survey(path).id == "mini"


def _parse(spec: dict):
    return parse_survey(yaml.safe_dump(spec, sort_keys=False), path="s.yaml")


def _break(spec: dict, path: tuple, value=...):
    """Set (or, with no value, delete) the key at ``path`` in a deep copy of ``spec``."""
    spec = copy.deepcopy(spec)
    node = spec
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return spec


# Each case: where to break the minimal survey, the new value (... deletes), the key path
# the error must name, and what its message must say.
MALFORMED = [
    (("id",), "Mini Survey", "id", "must start with a lowercase letter"),
    (("version",), 1.1, "version", r"must be quoted text"),
    (("title",), ..., None, "missing required key 'title'"),
    (("colour",), "blue", "colour", "unknown key 'colour'"),
    (("scales",), [], "scales", "non-empty mapping of scale names"),
    (("scales", "agree5", "type"), "likert", "scales.agree5.type", "must be 'ordinal' or 'categorical'"),
    (("scales", "agree5", "values"), {1: "Only one"}, "scales.agree5.values", "at least 2 codes"),
    (("scales", "agree5", "values"), {1: "a", 1.5: "b"}, r"scales.agree5.values\[1.5\]", "whole numbers"),
    (
        ("scales", "agree5", "values"),
        {1: "a", 300: "b"},
        r"scales.agree5.values\[300\]",
        "between -128 and 127",
    ),
    (("scales", "agree5", "values"), {2: "a", 1: "b"}, "scales.agree5.values", "must increase"),
    (("scales", "agree5", "values", 3), "", r"scales.agree5.values\[3\]", "must not be empty"),
    (
        ("scales", "cadence", "values"),
        {True: "Yes", "none": "No"},
        r"scales.cadence.values\[True\]",
        "read as a boolean",
    ),
    (
        ("scales", "length", "values"),
        {"short one": "S", "long": "L"},
        r"scales.length.values\['short one'\]",
        "letters, digits and underscores",
    ),
    (
        ("scales", "agree5", "not_applicable"),
        {5: "n/a"},
        "scales.agree5.not_applicable",
        r"both answers and not-applicable",
    ),
    (("scales", "agree5", "favourable"), [6], "scales.agree5.favourable", "not answer codes"),
    (("scales", "cadence", "favourable"), ["weekly"], "scales.cadence.favourable", "only an ordinal scale"),
    (("items",), [], "items", "non-empty list of items"),
    (("items", 3, "id"), "q1", r"items\[3\].id", r"duplicate item id 'q1' \(first used by items\[2\]\)"),
    (("items", 3, "id"), "2nd", r"items\[3\].id", "must start with a lowercase letter"),
    (("items", 3, "id"), "wave", r"items\[3\].id", "is a column of every response table"),
    (("items", 3, "text"), ..., r"items\[3\]", "missing required key 'text'"),
    (("items", 3, "scale"), "agree7", r"items\[3\].scale", r"unknown scale 'agree7' \(known: agree5"),
    (("items", 3, "type"), "text", r"items\[3\]", "exactly one of 'scale'"),
    (("items", 6, "type"), "number", r"items\[6\].type", "only item type without a scale is 'text'"),
    (("items", 3, "reverse"), "yes", r"items\[3\].reverse", "expected true or false"),
    (("items", 0, "reverse"), True, r"items\[0\].reverse", "only items on an ordinal scale can be reverse"),
    (("items", 3, "role"), "boss", r"items\[3\].role", "unknown role 'boss'"),
    (("items", 3, "role"), "cadence", r"items\[3\].role", r"may be used once, but items\[0\] has it"),
    (("items", 3, "wording"), "x", r"items\[3\].wording", "unknown key 'wording'"),
    (("items", 5, "expected"), ..., r"items\[5\]", "attention check needs 'expected'"),
    (("items", 5, "expected"), 9, r"items\[5\].expected", "not an answer code of scale 'agree5'"),
    (("items", 4, "expected"), 2, r"items\[4\].expected", "only an item with role 'attention_check'"),
    (
        ("items", 1, "ask_if"),
        {"item": "ghost", "in": ["weekly"]},
        r"items\[1\].ask_if.item",
        "unknown item 'ghost'",
    ),
    (
        ("items", 1, "ask_if"),
        {"item": "meeting_length", "in": ["short"]},
        r"items\[1\].ask_if.item",
        "cannot depend on itself",
    ),
    (("items", 1, "ask_if"), {"item": "note", "in": ["x"]}, r"items\[1\].ask_if.item", "is free text"),
    (
        ("items", 1, "ask_if"),
        {"item": "cadence", "in": ["weekly"], "not_in": ["none"]},
        r"items\[1\].ask_if",
        "exactly one of 'in' or 'not_in'",
    ),
    (
        ("items", 1, "ask_if"),
        {"item": "cadence", "in": ["daily"]},
        r"items\[1\].ask_if.in",
        r"\['daily'\] are not codes",
    ),
    (
        ("items", 2, "replaces"),
        {"item": "q2", "comparable": True},
        r"items\[2\].replaces.item",
        "still an item of this version",
    ),
    (("items", 2, "replaces"), {"item": "q0"}, r"items\[2\].replaces", "missing required key 'comparable'"),
    (("items", 2, "aliases"), "One?", r"items\[2\].aliases", "list of alternative headers"),
    (("items", 0, "scale"), "length", r"items\[0\].scale", "cadence codes .* are not known"),
    (("items", 6, "scale"), "agree5", r"items\[6\]", "exactly one of 'scale'"),
    (("items", 5, "scale"), ..., r"items\[5\]", "exactly one of 'scale'"),
    (
        ("scales", "Agree"),
        {"type": "ordinal", "values": {1: "a", 2: "b"}},
        "scales.Agree",
        "a scale name must",
    ),
    (("scales", "agree5"), "1-5", "scales.agree5", "expected a mapping of keys to values, got text"),
    (
        ("scales", "agree5", "values"),
        [1, 2],
        "scales.agree5.values",
        "mapping of codes to labels, got a list",
    ),
    (("scales", "agree5", "favourable"), 4, "scales.agree5.favourable", "non-empty list of codes"),
    (("scales", "agree5", "label"), 5, "scales.agree5.label", r"expected text, got a number \(5\)"),
    (("items", 3), "q2", r"items\[3\]", "expected a mapping of keys to values"),
    (("items", 3, "text"), "   ", r"items\[3\].text", "must not be empty"),
    (
        ("items", 1, "ask_if"),
        {"item": "cadence", "in": "none"},
        r"items\[1\].ask_if.in",
        "non-empty list of codes",
    ),
    (
        ("items", 2, "replaces"),
        {"item": "q0", "comparable": "yes"},
        r"items\[2\].replaces.comparable",
        "expected true or false",
    ),
    (("items", 2, "aliases"), ["One?", 1], r"items\[2\].aliases\[1\]", "expected text"),
    (("constructs",), {}, "constructs", "non-empty mapping of construct ids"),
    (("constructs", "depth"), ["q1", "q2", "q3"], "constructs.depth", "expected a mapping"),
    (("constructs", "depth", "items"), ["q1", "q2"], "constructs.depth.items", "at least 3 items"),
    (("constructs", "depth", "items"), "q1 q2 q3", "constructs.depth.items", "expected a list of item ids"),
    (
        ("constructs", "depth", "items"),
        ["q1", "q2", "q4"],
        r"constructs.depth.items\[2\]",
        "unknown item 'q4'",
    ),
    (("constructs", "depth", "items"), ["q1", "q2", "q2"], r"constructs.depth.items\[2\]", "listed twice"),
    (
        ("constructs", "depth", "items"),
        ["q1", "q2", "cadence"],
        r"constructs.depth.items\[2\]",
        "is categorical; only ordinal items can be scored",
    ),
    (
        ("constructs", "depth", "items"),
        ["q1", "q2", "check"],
        r"constructs.depth.items\[2\]",
        "has role 'attention_check' and cannot be scored",
    ),
    (("constructs", "depth", "min_valid"), 4, "constructs.depth.min_valid", "from 1 to the number of items"),
    (
        ("constructs", "depth", "min_valid"),
        True,
        "constructs.depth.min_valid",
        "from 1 to the number of items",
    ),
    (("constructs", "q1"), {"items": ["q1", "q2", "q3"]}, "constructs.q1", "also an item id"),
]


@pytest.mark.parametrize(
    ("path", "value", "key", "message"),
    MALFORMED,
    ids=[f"{'.'.join(map(str, c[0]))}:{c[3][:30]}" for c in MALFORMED],
)
def test_malformed_survey_names_key_and_problem(mini_spec, path, value, key, message):
    with pytest.raises(SurveyError, match=message) as info:
        _parse(_break(mini_spec, path, value))
    err = info.value
    assert err.path == "s.yaml"
    assert err.line is not None
    if key is None:
        assert err.key is None
    else:
        assert err.key is not None
        assert __import__("re").fullmatch(key, err.key), err.key


def test_item_in_two_constructs(mini_spec):
    mini_spec["items"].append({"id": "q4", "text": "Four", "scale": "agree5"})
    mini_spec["constructs"]["other"] = {"items": ["q4", "q1", "q2"]}
    with pytest.raises(SurveyError, match="item 'q1' is already in construct 'depth'") as info:
        _parse(mini_spec)
    assert info.value.key == "constructs.other.items[1]"


def test_construct_items_must_share_a_code_range(mini_spec):
    mini_spec["scales"]["agree7"] = {"type": "ordinal", "values": {i: f"level {i}" for i in range(1, 8)}}
    mini_spec["items"][3]["scale"] = "agree7"
    with pytest.raises(SurveyError, match=r"share a code range; got q1 1..5, q2 1..7"):
        _parse(mini_spec)


@pytest.mark.parametrize(
    ("role", "item", "message"),
    [
        ("comment", {"scale": "agree5"}, "comment item must have 'type: text'"),
        ("demographic", {"type": "text"}, "demographic item needs a scale"),
        ("team", {"scale": "agree5"}, "team item must be text or categorical"),
        ("attention_check", {"type": "text"}, "attention check needs a scale"),
    ],
)
def test_role_needs_the_right_kind_of_item(mini_spec, role, item, message):
    mini_spec["items"].append({"id": "extra", "text": "Extra", "role": role, **item})
    with pytest.raises(SurveyError, match=message):
        _parse(mini_spec)


def test_yaml_syntax_error_has_line_and_column():
    text = MINIMAL_SURVEY.replace("title: A minimal survey", "title: [A minimal survey")
    with pytest.raises(SurveyError, match=r"invalid YAML \(column \d+\)") as info:
        parse_survey(text, path="broken.yaml")
    assert str(info.value).startswith("broken.yaml:")
    assert info.value.line is not None and info.value.line >= 3


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite():
    text = MINIMAL_SURVEY.replace("title: A minimal survey\n", "title: A minimal survey\ntitle: Again\n")
    with pytest.raises(SurveyError, match="duplicate key 'title'") as info:
        parse_survey(text, path="dup.yaml")
    assert info.value.line == 4


def test_error_line_points_at_the_offending_key():
    text = MINIMAL_SURVEY.replace(
        "- {id: q2, text: Two, scale: agree5}", "- {id: q2, text: Two, scale: agree7}"
    )
    with pytest.raises(SurveyError) as info:
        parse_survey(text, path="s.yaml")
    expected_line = text.splitlines().index("  - {id: q2, text: Two, scale: agree7}") + 1
    assert info.value.line == expected_line
    assert str(info.value).startswith(f"s.yaml:{expected_line}: items[3].scale: unknown scale 'agree7'")


def test_top_level_must_be_a_mapping():
    with pytest.raises(SurveyError, match="expected a mapping of keys to values, got a list"):
        parse_survey("- a\n- b\n")
    with pytest.raises(SurveyError, match="got nothing"):
        parse_survey("")


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(SurveyError, match="file not found") as info:
        load_survey(tmp_path / "nope.yaml")
    assert info.value.path.endswith("nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x81\x82")
    with pytest.raises(SurveyError, match="cannot read the file"):
        load_survey(binary)


def test_the_shipped_survey_file_is_the_one_loaded(survey):
    assert survey.path == str(SURVEY_PATH)
    assert load_survey(SURVEY_PATH) == survey
