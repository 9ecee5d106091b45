"""The release table: shape, audiences, thresholds, policy, rounding, changes, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.privacy.disclosure import RELEASE_COLUMNS, load_policy, release


@pytest.fixture(scope="module")
def survey():
    return toolkit.load_survey("surveys/one_on_one_pulse.yaml")


@pytest.fixture(scope="module")
def sample(survey):
    waves = ["2026Q1", "2026Q2"]
    valid = pd.concat(
        [
            toolkit.validate(toolkit.read_canonical(f"data/sample/responses_{w}.csv"), survey).valid
            for w in waves
        ],
        ignore_index=True,
    )
    units = pd.read_csv("data/sample/units.csv")
    roster = pd.read_csv("data/sample/roster.csv")
    invited = roster.groupby(["team", "wave"]).size().rename("invited").reset_index()
    return valid, units, invited


@pytest.fixture(scope="module")
def rel(survey, sample):
    valid, units, invited = sample
    return release(valid, survey, units, invited=invited)


def test_columns_and_measures(rel):
    assert tuple(rel.columns) == RELEASE_COLUMNS
    measures = set(rel["measure"].astype(str))
    for m in (
        "depth:mean",
        "depth:favourable",
        "depth:change",
        "responses",
        "response_rate",
        "depth_why:mean",
        "depth_why:share:3",
    ):
        assert m in measures
    assert not rel.duplicated(["audience", "wave", "unit", "cut", "measure"]).any()


def test_manager_never_sees_a_sibling_team(rel, sample):
    _, units, _ = sample
    parent = dict(zip(units["unit"], units["parent"], strict=True))
    for team in units.loc[units["kind"] == "team", "unit"]:
        seen = set(rel.loc[rel["audience"] == f"manager:{team}", "unit"].astype(str))
        allowed, cur = set(), team
        while isinstance(cur, str):
            allowed.add(cur)
            cur = parent[cur]
        assert seen <= allowed, (team, seen - allowed)


def test_leader_sees_only_below(rel, sample):
    _, units, _ = sample
    rows = rel[rel["audience"] == "leader:div01"]
    parent = dict(zip(units["unit"], units["parent"], strict=True))

    def under(u):
        while isinstance(u, str):
            if u == "div01":
                return True
            u = parent[u]
        return False

    assert len(rows) and all(under(u) for u in rows["unit"].astype(str))


def test_audience_rows_are_analyst_rows(rel):
    key = ["wave", "unit", "cut", "measure", "value", "n"]
    analyst = rel[rel["audience"] == "analyst"][key].astype(str)
    other = rel[rel["audience"] == "manager:t01"][key].astype(str)
    merged = other.merge(analyst, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_thresholds(rel):
    measure = rel["measure"].astype(str)
    scores = measure.str.endswith((":mean", ":favourable", ":change")) | (measure == "responses")
    assert (rel.loc[scores, "n"] >= 5).all()
    assert (rel.loc[measure.str.contains(":share:"), "n"] >= 10).all()
    assert (rel.loc[measure == "response_rate", "n"] >= 5).all()


def test_stricter_policy_publishes_less(survey, sample):
    valid, units, _ = sample
    loose = release(valid, survey, units, audiences=["analyst"])
    strict = release(valid, survey, units, audiences=["analyst"], policy={"min_scores": 8})
    assert len(strict) < len(loose)
    m = strict["measure"].astype(str)
    assert (strict.loc[m.str.endswith(":mean") & ~m.str.contains("_"), "n"] >= 8).all()


def test_policy_errors(tmp_path):
    with pytest.raises(ValueError, match="min_scores must be at least 3"):
        load_policy({"min_scores": 2})
    with pytest.raises(ValueError, match="unknown keys"):
        load_policy({"min_score": 5})
    with pytest.raises(ValueError, match="must be an integer"):
        load_policy({"min_invited": 5.5})
    with pytest.raises(ValueError, match="from 0 to 6"):
        load_policy({"mean_decimals": 9})
    path = tmp_path / "policy.yaml"
    path.write_text("min_scores: 6\nmin_distribution: 12\n")
    assert load_policy(path)["min_scores"] == 6
    path.write_text("min_comments: 1\n")
    with pytest.raises(ValueError, match="min_comments must be at least 3"):
        load_policy(path)


def test_argument_errors(survey, sample):
    valid, units, _ = sample
    with pytest.raises(ValueError, match="not team units"):
        release(valid.assign(team="nope"), survey, units)
    with pytest.raises(ValueError, match="exactly one root"):
        release(valid, survey, units.assign(parent=None))
    with pytest.raises(ValueError, match="audiences must be"):
        release(valid, survey, units, audiences=["manager:nobody"])
    with pytest.raises(TypeError, match="survey must be a Survey"):
        release(valid, "survey", units)


def _shape(survey, depts: dict, waves=("2026Q1",)):
    """Responses of an organisation given as {department: {team: size}} (random answers, seeded)."""
    from tests.privacy.conftest import _people, _units, build

    people = [
        p for teams in depts.values() for t, size in teams.items() for p in _people(t, t, size, waves=waves)
    ]
    responses, units = build(survey, _units({d: list(teams) for d, teams in depts.items()}), people)
    return responses, units


def _pooled(scores: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Pooled construct means recomputed with plain pandas: keyed answers over valid answers."""
    s = scores.dropna(subset=["score"]).assign(total=lambda d: d["score"].astype(float) * d["n_items"], n=1)
    g = s.groupby(by, observed=True)[["total", "n_items", "n"]].sum().reset_index()
    return g.assign(mean=g["total"] / g["n_items"])


def test_rounding_and_values_recomputed(rel, survey, sample):
    valid = sample[0]
    a = rel[rel["audience"] == "analyst"]
    m = a["measure"].astype(str)
    means = a.loc[m.str.endswith(":mean"), "value"].to_numpy()
    assert np.allclose(means, np.round(means, 2))
    pct = a.loc[m.str.contains("share|favourable|rate"), "value"].to_numpy()
    assert np.allclose(pct, np.round(pct)) and (pct >= 0).all() and (pct <= 100).all()
    # team means: every valid answer of the team's scored respondents counts once
    s = _pooled(toolkit.score(valid, survey), ["wave", "team", "construct"])
    s = s[s["n"] >= 5]
    got = a[(a["cut"] == "all") & (m.str.endswith(":mean"))].assign(
        construct=lambda d: d["measure"].astype(str).str.removesuffix(":mean"),
        team=lambda d: d["unit"].astype(str),
        wave=lambda d: d["wave"].astype(str),
    )
    j = s.merge(got, on=["wave", "team", "construct"])
    assert len(j) > 500
    # sums in another order can put an exact half on the other side: at most one unit apart
    assert (np.abs(j["value"] - np.round(j["mean"], 2)) <= 0.0100001).all()
    assert (np.abs(j["value"] - j["mean"]) <= 0.005 + 1e-9).mean() > 0.99
    assert (j["n_x"] == j["n_y"]).all()
    # where everyone answered every item the pooled mean is the mean of the scores
    sc = toolkit.score(valid, survey).dropna(subset=["score"])
    same = sc.groupby(["wave", "team", "construct"])["n_items"].nunique().eq(1).rename("same").reset_index()
    full = toolkit.summarise(sc).merge(same, on=["wave", "team", "construct"])
    jj = j.merge(full[full["same"]], on=["wave", "team", "construct"], suffixes=("", "_scores"))
    assert len(jj) > 200 and np.allclose(jj["mean"], jj["mean_scores"], rtol=0, atol=1e-12)


def test_item_means_add_up_to_the_construct_mean(rel, survey):
    """The construct mean pools the item answers, so it adds nothing to the item means: derivation
    1 of the privacy issue (the construct mean minus its items gives the score of whoever answered
    "does not apply") has nothing to work with."""
    a = rel[(rel["audience"] == "analyst") & (rel["cut"] == "all")]
    a = a.astype({"unit": str, "wave": str, "measure": str}).set_index(["wave", "unit", "measure"])
    checked = 0
    for (w, u, meas), row in a.iterrows():
        if not meas.endswith(":mean") or meas.split(":")[0] not in survey.constructs:
            continue
        con = survey.constructs[meas.split(":")[0]]
        items = [a.loc[(w, u, f"{i}:mean")] for i in con.items if (w, u, f"{i}:mean") in a.index]
        if len(items) != len(con.items):
            continue
        keyed = [
            (it["n"] * (6 - it["value"]) if survey.item(i).reverse else it["n"] * it["value"], it["n"])
            for i, it in zip(con.items, items, strict=True)
        ]
        pooled = sum(k for k, _ in keyed) / sum(n for _, n in keyed)
        assert abs(pooled - row["value"]) <= 0.005 + 0.005 + 1e-9, (w, u, meas)
        checked += 1
    assert checked > 500


def test_item_numbers_need_every_item_at_the_threshold(survey):
    """A team of 5 where one person answered "does not apply" to one depth item: its depth item
    means would have 4 answers, so none of them is published (the construct mean still is)."""
    responses, units = _shape(survey, {"d1": {"ta": 5, "tb": 6}, "d2": {"tx": 7}})
    first = responses.index[responses["team"] == "ta"][0]
    responses.loc[first, "depth_why"] = 9  # does not apply
    rel = release(responses, survey, units, audiences=["analyst"])
    m = rel.loc[rel["unit"] == "ta", "measure"].astype(str)
    assert "depth:mean" in set(m)
    assert not any(x.startswith("depth_") for x in m)
    assert any(x.startswith("avail_") for x in m)  # other constructs are unaffected
    # the department holds the team's answers in its atom with the 6 of tb: published there
    d1 = set(rel.loc[rel["unit"] == "d1", "measure"].astype(str))
    assert "depth_why:mean" in d1


def test_change_rows(rel):
    a = rel[rel["audience"] == "analyst"].copy()
    a["measure"] = a["measure"].astype(str)
    ch = a[a["measure"] == "depth:change"]
    assert len(ch) > 0 and (ch["wave"] == "2026Q2").all()
    mean = (
        a[a["measure"] == "depth:mean"]
        .astype({"wave": str, "unit": str, "cut": str})
        .set_index(["wave", "unit", "cut"])["value"]
    )
    for _, r in ch.head(50).iterrows():
        cur = mean[("2026Q2", str(r["unit"]), str(r["cut"]))]
        prev = mean[("2026Q1", str(r["unit"]), str(r["cut"]))]
        assert r["value"] == pytest.approx(round(cur - prev, 2))


def test_change_is_published_whenever_both_means_are(survey):
    """A change is the difference of two shown means: hiding it protects nothing (a team with a
    leaver between waves gets it too)."""
    responses, units = _shape(survey, {"d1": {"tj": 6, "tx": 6}, "d2": {"ty": 5}}, waves=("2026Q1", "2026Q2"))
    leaver = responses.index[(responses["team"] == "tj") & (responses["wave"] == "2026Q2")][0]
    responses = responses.drop(index=leaver)
    r = release(responses, survey, units, audiences=["analyst"])
    r = r.astype({"unit": str, "wave": str, "measure": str, "cut": str})
    for unit in ("tj", "tx", "d1", "org"):
        mean = r[(r["unit"] == unit) & (r["measure"] == "depth:mean") & (r["cut"] == "all")]
        change = r[(r["unit"] == unit) & (r["measure"] == "depth:change") & (r["cut"] == "all")]
        assert len(mean) == 2 and len(change) == 1
        v = mean.set_index("wave")["value"]
        assert change["value"].item() == pytest.approx(round(v["2026Q2"] - v["2026Q1"], 2))


def test_deterministic(survey, sample):
    valid, units, invited = sample
    a = release(valid, survey, units, invited=invited, audiences=["analyst", "leader:org"])
    b = release(
        valid.sample(frac=1, random_state=3),
        survey,
        units,
        invited=invited,
        audiences=["analyst", "leader:org"],
    )
    pd.testing.assert_frame_equal(a, b)


def test_complementary_suppression_hides_more(survey, sample):
    valid, units, _ = sample
    safe = release(valid, survey, units, audiences=["analyst"])
    unsafe = release(valid, survey, units, audiences=["analyst"], complementary=False)
    assert len(safe) < len(unsafe)


# --------------------------------------------------------------------------- cadence


def test_cadence_and_length_distributions(rel, survey, sample):
    valid, _, _ = sample
    m = rel["measure"].astype(str)
    for item_id, scale in (("cadence", "cadence"), ("meeting_length", "length")):
        codes = list(survey.scales[scale].allowed)
        rows = rel[m.str.startswith(f"{item_id}:share:")]
        assert len(rows) and (rows["cut"] == "all").all()
        assert (rows["n"] >= 10).all()  # min_distribution
        # every audience and unit with a distribution has one row per code, summing to about 100
        per = rows.groupby(["audience", "wave", "unit"], observed=True)["value"]
        assert (per.size() == len(codes)).all()
        assert ((per.sum() - 100).abs() <= len(codes)).all()
        assert set(rows["audience"].astype(str)) >= {"analyst", "manager:t01"}
    # the organisation's cadence shares recomputed from the responses
    org = rel[(rel["audience"] == "analyst") & (rel["unit"] == "org") & (rel["wave"] == "2026Q1")]
    q1 = valid[valid["wave"] == "2026Q1"]
    share = q1["cadence"].astype(str).value_counts(normalize=True) * 100
    for code in survey.scales["cadence"].allowed:
        got = org.loc[org["measure"] == f"cadence:share:{code}", "value"].item()
        assert got == np.round(share.get(str(code), 0.0), 0)
    assert org.loc[org["measure"] == "cadence:share:weekly", "n"].item() == len(q1)


def test_distributions_need_min_distribution(survey, sample):
    valid, units, _ = sample
    rel = release(valid, survey, units, audiences=["analyst"], policy={"min_distribution": 60})
    rows = rel[rel["measure"].astype(str).str.startswith(("cadence:share:", "meeting_length:share:"))]
    assert len(rows) and (rows["n"] >= 60).all()


def test_cadence_cuts(rel, survey, sample):
    _, units, _ = sample
    cut = rel["cut"].astype(str)
    cad = rel[cut.str.startswith("cadence=")]
    kind = dict(zip(units["unit"], units["kind"], strict=True))
    assert len(cad) and {kind[u] for u in cad["unit"].astype(str)} <= {"organisation", "division"}
    assert (cad["n"] >= 5).all()
    assert not cut.str.endswith("=<missing>").any()
    codes = {f"cadence={c}" for c in survey.scales["cadence"].codes}
    assert set(cad["cut"].astype(str)) <= codes
    org = cad[(cad["audience"] == "analyst") & (cad["unit"] == "org") & (cad["measure"] == "depth:mean")]
    assert len(org) >= 3
    # managers see the organisation's cadence cuts; means match the analyst's
    mgr = cad[(cad["audience"] == "manager:t01") & (cad["unit"] == "org")]
    assert len(mgr) and set(mgr["cut"].astype(str)) == set(
        cad.loc[(cad["audience"] == "analyst") & (cad["unit"] == "org"), "cut"].astype(str)
    )


def test_cadence_cut_means_recomputed(rel, survey, sample):
    valid, _, _ = sample
    sc = toolkit.score(valid, survey)
    sc = sc[(sc["construct"] == "depth") & (sc["wave"] == "2026Q1")]
    expected = _pooled(sc, ["cadence"]).set_index("cadence")
    org = rel[
        (rel["audience"] == "analyst")
        & (rel["unit"] == "org")
        & (rel["wave"] == "2026Q1")
        & (rel["measure"] == "depth:mean")
    ]
    seen = 0
    for c, v, n in org[["cut", "value", "n"]].astype(object).itertuples(index=False):
        if not str(c).startswith("cadence="):
            continue
        e = expected.loc[str(c).split("=", 1)[1]]
        assert e["n"] == n and round(e["mean"], 2) == v
        seen += 1
    assert seen >= 3


def _cadence_case(survey, biweekly):
    """Every team mixes cadences, so no team's cadence group equals the team (none is derivable)."""
    from tests.privacy.conftest import _people, _units, build

    ppl = (
        _people("a", "ta", 5)
        + _people("b", "ta", 3, cadence="monthly")
        + _people("c", "tb", 5)
        + _people("d", "tb", biweekly, cadence="biweekly")
        + _people("e", "tc", 5)
        + _people("f", "tc", 3, cadence="monthly")
    )
    return build(survey, _units({"d1": ["ta", "tb"], "d2": ["tc"]}), ppl)


def test_cadence_cut_one_short_hides_its_complement(survey):
    responses, units = _cadence_case(survey, 4)
    rel = release(responses, survey, units, audiences=["analyst"])
    org = rel[(rel["unit"] == "org") & (rel["measure"] == "depth:mean")]
    cuts = dict(zip(org["cut"].astype(str), org["n"], strict=False))
    assert cuts["all"] == 25 and cuts["cadence=weekly"] == 15
    assert "cadence=biweekly" not in cuts  # 4: one short of the threshold
    assert "cadence=monthly" not in cuts  # 6: hidden so that all - weekly - monthly is not the 4
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    org = unsafe[(unsafe["unit"] == "org") & (unsafe["measure"] == "depth:mean")]
    assert {"cadence=weekly", "cadence=monthly"} <= set(org["cut"].astype(str))
    # with 5 biweekly every cadence cut is published
    responses, units = _cadence_case(survey, 5)
    rel = release(responses, survey, units, audiences=["analyst"])
    org = rel[(rel["unit"] == "org") & (rel["measure"] == "depth:mean")]
    assert {"cadence=weekly", "cadence=biweekly", "cadence=monthly"} <= set(org["cut"].astype(str))
    # teams and departments never get cadence cuts
    assert set(rel.loc[rel["cut"].astype(str).str.startswith("cadence="), "unit"].astype(str)) == {"org"}


def test_cadence_cut_derivable_from_a_unanimous_team_is_hidden(survey):
    """Org weekly minus two all-weekly teams would be the 3 weekly people of a third team."""
    from tests.privacy.conftest import _people, _units, build

    ppl = (
        _people("p", "tp", 6)
        + _people("q", "tq", 5, cadence="biweekly")
        + _people("r", "tq", 3)
        + _people("s", "ts", 6, cadence="monthly")
        + _people("x", "tx", 8)
    )
    responses, units = build(survey, _units({"d1": ["tp", "tq"], "d2": ["ts", "tx"]}), ppl)
    rel = release(responses, survey, units, audiences=["analyst"])
    cuts = set(rel.loc[(rel["unit"] == "org") & (rel["measure"] == "depth:mean"), "cut"].astype(str))
    assert "cadence=weekly" not in cuts and "all" in cuts
    for team in ("tp", "tq", "ts", "tx"):  # the teams themselves stay published
        assert ((rel["unit"] == team) & (rel["measure"] == "depth:mean") & (rel["cut"] == "all")).any()


# --------------------------------------------------------------------------- the rules, one by one


def _cuts(rel, measure="depth:mean"):
    org = rel[(rel["unit"] == "org") & (rel["measure"] == measure) & (rel["audience"] == "analyst")]
    return set(org["cut"].astype(str)) - {"all"}


def test_identical_groups_at_two_levels_count_once(survey):
    """Derivation 3: a unit with a single child holds the same people; its atom is empty, so it
    neither protects nor exposes anything, and both are published."""
    from tests.privacy.conftest import _people, build

    units = [
        ("org", None, "organisation"),
        ("v1", "org", "division"),
        ("d1", "v1", "department"),
        ("t1", "d1", "team"),
        ("t2", "d1", "team"),
        ("v2", "org", "division"),
        ("d2", "v2", "department"),
        ("t3", "d2", "team"),
        ("t4", "d2", "team"),
    ]
    ppl = _people("a", "t1", 6) + _people("b", "t2", 3) + _people("c", "t3", 5) + _people("d", "t4", 7)
    responses, units = build(survey, units, ppl)
    rel = release(responses, survey, units, audiences=["analyst"])
    shown = set(rel.loc[rel["measure"] == "depth:mean", "unit"].astype(str))
    # t2 (3) is below the threshold, so t1 is hidden too (d1 minus t1 would be t2's 3), while d1
    # and v1, the same 9 people twice, are both published
    assert {"d1", "v1", "t3", "t4", "d2", "v2", "org"} <= shown
    assert not {"t1", "t2"} & shown


def test_the_unit_rule_hides_the_smallest_sibling(survey):
    responses, units = _shape(survey, {"d1": {"ta": 6, "tb": 7, "tc": 3}, "d2": {"tx": 8}})
    rel = release(responses, survey, units, audiences=["analyst"])
    shown = set(rel.loc[rel["measure"] == "depth:mean", "unit"].astype(str))
    assert shown == {"org", "d1", "tb", "d2", "tx"}  # ta (6) hidden with tc (3): 9 together
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    assert "ta" in set(unsafe.loc[unsafe["measure"] == "depth:mean", "unit"].astype(str))


def test_a_difference_unanimous_on_an_item_is_not_left_published(survey):
    """Two teams of 3 are hidden, so the department minus ta is their 6 people; all 6 answered 4
    to depth_why while ta did not, so that difference would pin six answers: ta's depth item
    numbers are hidden too (the department's stay, over all 12)."""
    responses, units = _shape(survey, {"d1": {"ta": 6, "tb": 3, "tc": 3}, "d2": {"tx": 8}})
    responses.loc[responses["team"].isin(["tb", "tc"]), "depth_why"] = 4
    responses.loc[responses.index[responses["team"] == "ta"][0], "depth_why"] = 2

    def shown(rel, measure):
        return set(rel.loc[rel["measure"] == measure, "unit"].astype(str))

    rel = release(responses, survey, units, audiences=["analyst"])
    assert "ta" in shown(rel, "depth:mean") and "ta" not in shown(rel, "depth_why:mean")
    assert "d1" in shown(rel, "depth_why:mean")
    assert "ta" in shown(rel, "avail_reachable:mean")  # another construct's items are not involved
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    assert "ta" in shown(unsafe, "depth_why:mean")


def test_a_one_sided_group_with_unequal_answers_hides_its_favourable_share(survey):
    """Everyone in ta answered every item at the favourable end, and one of them answered "does
    not apply" to depth_why: a favourable share of 100 with the item means would narrow that
    person's depth score below their teammates'. ta's share is hidden, and so is the smaller of
    its siblings', since the department's share minus theirs would give it back."""
    from tests.privacy.conftest import _people, _units, build

    ppl = _people("a", "ta", 6) + _people("b", "tb", 6) + _people("c", "tc", 7) + _people("x", "tx", 8)
    responses, units = build(survey, _units({"d1": ["ta", "tb", "tc"], "d2": ["tx"]}), ppl, unanimous=("ta",))
    responses.loc[responses["respondent"] == "a00", "depth_why"] = 9
    rel = release(responses, survey, units, audiences=["analyst"])
    fav = rel[(rel["measure"] == "depth:favourable") & (rel["cut"] == "all")]
    fav = fav.set_index(fav["unit"].astype(str))["value"]
    means = set(rel.loc[rel["measure"] == "depth:mean", "unit"].astype(str))
    assert {"ta", "tb", "tc", "d1"} <= means  # every mean stays
    assert "ta" not in fav.index and "tb" not in fav.index
    assert {"tc", "d1", "org"} <= set(fav.index) and 0 < fav["d1"] < 100
    # other constructs of ta: answered in full by everyone, so 100 is a group's own answer
    avail = rel.loc[(rel["unit"] == "ta") & (rel["measure"] == "availability:favourable"), "value"]
    assert len(avail) and avail.eq(100).all()
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    assert ((unsafe["unit"] == "ta") & (unsafe["measure"] == "depth:favourable")).any()


def test_a_demographic_left_blank_by_a_few_hides_its_cuts(survey):
    """The organisation minus its tenure cuts would be the two people who left tenure blank."""
    from tests.privacy.conftest import _people, _units, build

    ppl = (
        _people("a", "ta", 5, tenure="under_1y")
        + _people("b", "ta", 5, tenure="over_3y")
        + _people("c", "tb", 5, tenure="over_3y")
        + _people("d", "tb", 5, tenure="1_to_3y")
        + _people("e", "tc", 5, tenure="1_to_3y")
        + _people("f", "tc", 5, tenure="under_1y")
    )
    responses, units = build(survey, _units({"d1": ["ta", "tb"], "d2": ["tc"]}), ppl)
    assert {"tenure=under_1y", "tenure=1_to_3y", "tenure=over_3y"} <= _cuts(
        release(responses, survey, units, audiences=["analyst"])
    )
    blank = responses.index[responses["respondent"].isin(["a00", "c00"])]
    responses.loc[blank, "tenure"] = None
    rel = release(responses, survey, units, audiences=["analyst"])
    tenure = {c for c in _cuts(rel) if c.startswith("tenure=")}
    published = {c.split("=")[1] for c in tenure}
    # whatever stays, all published tenure cuts together never make the organisation minus two
    assert published != {"under_1y", "1_to_3y", "over_3y"}
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    assert {c for c in _cuts(unsafe) if c.startswith("tenure=")} == {
        "tenure=under_1y",
        "tenure=1_to_3y",
        "tenure=over_3y",
    }


def test_two_cut_items_that_differ_by_one_person(survey):
    """Remote workers are the individual contributors but one: [remote] - [individual] isolates
    that person, so one of the two cuts is hidden."""
    from tests.privacy.conftest import _people, _units, build

    ppl = []
    for t, size in (("ta", 7), ("tb", 7), ("tc", 7)):
        ppl += _people(t + "r", t, 3, location="remote", level="individual")
        ppl += _people(t + "o", t, size - 3, location="office", level="senior")
    ppl += _people("z", "tc", 1, location="remote", level="senior")
    responses, units = build(survey, _units({"d1": ["ta", "tb"], "d2": ["tc"]}), ppl)
    unsafe = _cuts(release(responses, survey, units, audiences=["analyst"], complementary=False))
    assert {"location=remote", "level=individual"} <= unsafe
    safe = _cuts(release(responses, survey, units, audiences=["analyst"]))
    assert not {"location=remote", "level=individual"} <= safe


def test_a_rate_is_hidden_with_its_count(survey):
    """Issue 16's suppressed state: a response rate of a hidden count would give the count."""
    responses, units = _shape(survey, {"d1": {"ta": 4, "tb": 6, "tc": 6}, "d2": {"tx": 8}})
    invited = pd.DataFrame({"team": ["ta", "tb", "tc", "tx"], "wave": "2026Q1", "invited": [7, 8, 8, 9]})
    rel = release(responses, survey, units, invited=invited, audiences=["analyst"])
    shown = rel.astype({"unit": str, "measure": str})
    responded = set(shown.loc[shown["measure"] == "responses", "unit"])
    rated = set(shown.loc[shown["measure"] == "response_rate", "unit"])
    assert "ta" not in rated and rated <= responded
    assert {"tx", "d2", "org"} <= rated
