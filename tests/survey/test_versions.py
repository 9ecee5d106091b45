"""Survey versions: added, removed, reworded, rescaled and renamed items, and what stays comparable."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.conftest import SURVEY_PATH
from toolkit.survey import load_survey, parse_survey
from toolkit.survey.versions import (
    CHANGES,
    comparable_constructs,
    comparable_items,
    diff_surveys,
    format_diff,
)

V11 = Path(__file__).resolve().parents[1] / "fixtures" / "versions" / "one_on_one_pulse_1_1.yaml"


@pytest.fixture(scope="module")
def old():
    return load_survey(SURVEY_PATH)


@pytest.fixture(scope="module")
def new():
    return load_survey(V11)


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SURVEY_PATH.read_text(encoding="utf-8"))


def _variant(spec: dict, edit) -> object:
    """The default survey with ``edit(spec)`` applied, as a new version."""
    changed = copy.deepcopy(spec)
    changed["version"] = "1.1"
    edit(changed)
    return parse_survey(yaml.safe_dump(changed, sort_keys=False))


def _item(spec: dict, item_id: str) -> dict:
    return next(it for it in spec["items"] if it["id"] == item_id)


def test_the_fixture_has_one_change_of_each_kind(old, new):
    diff = diff_surveys(old, new).set_index("item")
    assert list(diff.columns) == [
        "change", "old_item", "new_item", "old_text", "new_text", "comparable", "construct", "note",
    ]  # fmt: skip
    assert diff.loc["avail_reach", ["change", "old_item", "comparable", "construct"]].tolist() == [
        "reworded", "avail_reachable", True, "availability",
    ]  # fmt: skip
    assert "same meaning, plainer wording" in diff.loc["avail_reach", "note"]
    assert diff.loc["growth_sponsor", ["change", "old_item", "comparable"]].tolist() == [
        "reworded", "growth_supported", False,
    ]  # fmt: skip
    assert diff.loc["depth_feedback", ["change", "old_item", "comparable", "construct"]].tolist() == [
        "added", "", False, "depth",
    ]  # fmt: skip
    assert diff.loc["hold_only_channel", ["change", "new_item", "comparable", "construct"]].tolist() == [
        "removed", "", False, "holding_back",
    ]  # fmt: skip
    rest = diff.drop(index=["avail_reach", "growth_sponsor", "depth_feedback", "hold_only_channel"])
    assert (rest["change"] == "unchanged").all() and rest["comparable"].all()
    assert (rest["old_text"] == rest["new_text"]).all()
    # every item of either version appears once
    assert len(diff) == len({it.id for it in new.items} | {it.id for it in old.items}) - 2
    assert set(diff["change"]) <= set(CHANGES)


def test_constructs_stay_comparable_only_when_their_items_map_one_to_one(old, new):
    cons = comparable_constructs(old, new).set_index("construct")
    assert list(cons.columns) == ["old_construct", "comparable", "reason"]
    assert cons["comparable"].to_dict() == {
        "availability": True,
        "holding_back": False,
        "depth": False,
        "reliability": True,
        "informal_contact": True,
        "engagement": True,
        "growth": False,
        "trust": True,
        "intent_to_stay": True,
    }
    assert cons.loc["holding_back", "reason"] == "hold_only_channel removed"
    assert cons.loc["depth", "reason"] == "depth_feedback added"
    assert cons.loc["growth", "reason"] == "growth_sponsor replaces growth_supported, not comparable"
    assert cons.loc["availability", "reason"] == "all 4 items comparable"


def test_comparable_items_is_the_join_map_for_trends(old, new):
    mapping = comparable_items(old, new)
    assert mapping["avail_reach"] == "avail_reachable"
    assert mapping["depth_why"] == "depth_why"
    for gone in ("growth_sponsor", "depth_feedback", "hold_only_channel"):
        assert gone not in mapping
    assert len(mapping) == len(new.items) - 2


def test_a_version_against_itself_is_unchanged_and_comparable(old):
    diff = diff_surveys(old, old)
    assert (diff["change"] == "unchanged").all() and diff["comparable"].all()
    assert comparable_constructs(old, old)["comparable"].all()
    assert "None." in format_diff(diff, comparable_constructs(old, old))


def test_a_rewording_without_lineage_is_detected_and_not_comparable(spec, old):
    def edit(s):
        _item(s, "trust_honest")["text"] = "I can admit my mistakes to my manager."
        _item(s, "trust_my_interest")["text"] = "my manager has my interests at heart"  # case and punctuation

    diff = diff_surveys(old, _variant(spec, edit)).set_index("item")
    row = diff.loc["trust_honest"]
    assert (row["change"], bool(row["comparable"])) == ("reworded", False)
    assert "no lineage" in row["note"] and "replaces" in row["note"]
    assert diff.loc["trust_my_interest", "change"] == "unchanged"
    assert "case or punctuation" in diff.loc["trust_my_interest", "note"]
    cons = comparable_constructs(old, _variant(spec, edit)).set_index("construct")
    assert not cons.loc["trust", "comparable"]
    assert cons.loc["trust", "reason"] == "trust_honest reworded, not comparable"


def test_a_scale_change_is_rescaled_and_comparable_only_with_lineage(spec, old):
    agree7 = {
        "label": "Agreement (7 points)",
        "type": "ordinal",
        "values": {i: f"level {i}" for i in range(1, 8)},
    }

    def silent(s):
        s["scales"]["agree7"] = agree7
        for item in ("stay_next_year", "stay_looking", "stay_recommend"):
            _item(s, item)["scale"] = "agree7"

    def declared(s):
        s["scales"]["length5"] = copy.deepcopy(s["scales"]["length"])
        s["scales"]["length5"]["values"]["90_plus"] = "An hour and a half or more"
        lineage = {"item": "meeting_length", "comparable": True, "note": "top band split"}
        _item(s, "meeting_length").update(id="meeting_len", scale="length5", replaces=lineage)

    quiet = _variant(spec, silent)
    row = diff_surveys(old, quiet).set_index("item").loc["stay_next_year"]
    assert (row["change"], bool(row["comparable"])) == ("rescaled", False)
    assert "codes 1, 2, 3, 4, 5 -> 1, 2, 3, 4, 5, 6, 7" in row["note"]
    assert "without lineage" in row["note"]
    cons = comparable_constructs(old, quiet).set_index("construct")
    assert not cons.loc["intent_to_stay", "comparable"]
    row = diff_surveys(old, _variant(spec, declared)).set_index("item").loc["meeting_len"]
    assert (row["change"], row["old_item"], bool(row["comparable"])) == ("rescaled", "meeting_length", True)
    assert "top band split" in row["note"]


def test_label_changes_count_as_rescaled(spec, old):
    def edit(s):
        s["scales"]["frequency5"]["values"][3] = "Once a week"

    diff = diff_surveys(old, _variant(spec, edit)).set_index("item")
    for item in ("contact_chat", "contact_talk", "contact_quick_questions"):
        assert diff.loc[item, "change"] == "rescaled"
        assert "'About once a week' -> 'Once a week'" in diff.loc[item, "note"]
    cons = comparable_constructs(old, _variant(spec, edit)).set_index("construct")
    assert not cons.loc["informal_contact", "comparable"]


def test_a_new_id_with_the_same_text_is_renamed(spec, old):
    def edit(s):
        lineage = {"item": "rel_cut_short", "comparable": True}
        _item(s, "rel_cut_short").update(id="rel_short", replaces=lineage)
        s["constructs"]["reliability"]["items"][3] = "rel_short"

    new = _variant(spec, edit)
    row = diff_surveys(old, new).set_index("item").loc["rel_short"]
    assert (row["change"], row["old_item"], bool(row["comparable"])) == ("renamed", "rel_cut_short", True)
    assert comparable_constructs(old, new).set_index("construct").loc["reliability", "comparable"]


def test_flipped_keying_breaks_the_construct(spec, old):
    def edit(s):
        _item(s, "eng_proud")["reverse"] = True

    new = _variant(spec, edit)
    row = diff_surveys(old, new).set_index("item").loc["eng_proud"]
    assert row["change"] == "unchanged" and "reverse keying added" in row["note"]
    cons = comparable_constructs(old, new).set_index("construct")
    assert cons.loc["engagement", "reason"] == "eng_proud reverse keying changed"
    assert not cons.loc["engagement", "comparable"]


def test_renamed_removed_and_added_constructs(spec, old):
    def edit(s):
        del s["constructs"]["trust"]
        s["constructs"]["commitment"] = s["constructs"].pop("intent_to_stay")
        del s["constructs"]["engagement"]
        s["constructs"]["energy"] = {"label": "Energy", "items": ["eng_energy", "eng_absorbed", "eng_proud"]}

    cons = comparable_constructs(old, _variant(spec, edit)).set_index("construct")
    assert cons.loc["commitment", "old_construct"] == "intent_to_stay"
    assert cons.loc["commitment", "comparable"]
    assert cons.loc["commitment", "reason"].startswith("renamed from intent_to_stay")
    assert cons.loc["energy", "old_construct"] == "engagement"  # the same items: a rename too
    assert cons.loc["trust", ["comparable", "reason"]].tolist() == [False, "removed in version 1.1"]
    assert "engagement" not in cons.index  # carried on as energy, so not listed as removed


def test_lineage_to_an_item_the_old_version_lacks_is_an_addition(spec, old):
    def edit(s):
        s["items"].insert(3, {"id": "avail_quick", "text": "My manager answers quickly.", "scale": "agree5",
                              "replaces": {"item": "avail_legacy", "comparable": True}})  # fmt: skip

    row = diff_surveys(old, _variant(spec, edit)).set_index("item").loc["avail_quick"]
    assert (row["change"], bool(row["comparable"])) == ("added", False)
    assert "replaces avail_legacy, which version 1.0 does not have" in row["note"]


def test_format_diff_is_the_readable_summary(old, new):
    text = format_diff(diff_surveys(old, new), comparable_constructs(old, new))
    assert text.startswith("# Survey changes: one_on_one_pulse 1.0 -> one_on_one_pulse 1.1")
    assert "1 added, 1 removed, 2 reworded" in text
    assert "| reworded | `avail_reach` | `avail_reachable` | yes |" in text
    assert "| removed | `hold_only_channel` |  | no |" in text
    assert "| `growth` | no | growth_sponsor replaces growth_supported, not comparable |" in text
    assert "depth_why" not in text  # unchanged items are not listed


def test_paths_are_accepted_and_other_inputs_refused():
    diff = diff_surveys(str(SURVEY_PATH), V11)
    assert diff.attrs == {"old": "one_on_one_pulse 1.0", "new": "one_on_one_pulse 1.1"}
    with pytest.raises(TypeError, match="expected a Survey or the path of a survey file, got int"):
        diff_surveys(1, V11)
