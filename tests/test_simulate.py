"""Tests of toolkit.simulate: the organisation, the generative model against its truth, the mess,
validation of what it writes, the platform exports, determinism and argument errors.

Construct scores are computed here with plain pandas (mean of the items on their scale after
reverse keying min + max - x, not-applicable codes as missing, at least ``min_valid`` items),
independently of any scoring module.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from toolkit.ingest import read_canonical
from toolkit.simulate import DEFAULT_EFFECTS, DEFAULT_MESS, SimulatedOrg, pseudonym_key, simulate
from toolkit.survey import load_survey, parse_survey
from toolkit.survey.schema import canonical_dtypes
from toolkit.survey.validate import validate

ROOT = Path(__file__).resolve().parents[1]
WEEKLY = "C(cadence, Treatment('monthly'))[T.weekly]"


@pytest.fixture(scope="module")
def survey():
    return load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")


@pytest.fixture(scope="module")
def org(survey) -> SimulatedOrg:
    return simulate(survey, teams=60, waves=3, seed=11)


@pytest.fixture(scope="module")
def written(org, tmp_path_factory) -> dict[str, Path]:
    return org.write(tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def big(survey) -> SimulatedOrg:
    """A large organisation, one wave, for rates and distributions."""
    return simulate(survey, teams=1500, waves=1, seed=7)


# --------------------------------------------------------------------------- helpers


def construct_score(df: pd.DataFrame, survey, construct: str) -> pd.Series:
    spec = survey.constructs[construct]
    cols = []
    for item_id in spec.items:
        scale = survey.scale_of(item_id)
        x = df[item_id].astype("float64")
        x = x.mask(x.isin(scale.na_codes))
        if survey.item(item_id).reverse:
            x = min(scale.codes) + max(scale.codes) - x
        cols.append(x)
    items = pd.concat(cols, axis=1)
    return items.mean(axis=1).where(items.notna().sum(axis=1) >= spec.min_valid)


def icc1(y: pd.Series, group: pd.Series) -> float:
    """ICC(1) from the one-way ANOVA: (MSB - MSW) / (MSB + (k0 - 1) MSW), with the unbalanced
    group size k0 = (N - sum n_j^2 / N) / (G - 1)."""
    d = pd.DataFrame({"y": y.to_numpy(float), "g": group.to_numpy()}).dropna()
    grouped = d.groupby("g")["y"]
    n, means = grouped.size(), grouped.mean()
    big_n, g = n.sum(), len(n)
    msb = (n * (means - d["y"].mean()) ** 2).sum() / (g - 1)
    msw = ((d["y"] - d["g"].map(means)) ** 2).sum() / (big_n - g)
    k0 = (big_n - (n**2).sum() / big_n) / (g - 1)
    return float((msb - msw) / (msb + (k0 - 1) * msw))


def attentive(latent: pd.DataFrame) -> np.ndarray:
    flags = ["speeder", "straight_liner", "attention_failure", "is_duplicate", "has_duplicate"]
    return ~latent[flags].any(axis=1).to_numpy()


def analysis_frame(org: SimulatedOrg, survey, construct: str) -> pd.DataFrame:
    wave = org.waves[0]
    df, latent = org.responses[wave], org.latent[wave]
    tw = org.team_waves[org.team_waves["wave"] == wave].set_index("team")
    d = pd.DataFrame(
        {
            "score": construct_score(df, survey, construct),
            "cadence": df["cadence"].astype("str"),
            "team": df["team"].astype("str"),
        }
    )[attentive(latent)]
    d["log_size"] = np.log(d["team"].map(tw["headcount"]).astype(float))
    d["division"] = d["team"].map(tw["division"])
    return d.dropna()


def fit_adjusted(d: pd.DataFrame):
    model = smf.mixedlm("score ~ C(cadence, Treatment('monthly')) + log_size + C(division)", d, groups="team")
    return model.fit(reml=True)


def within(observed: float, n: int, p: float, sds: float = 4.0) -> bool:
    return abs(observed - n * p) <= sds * math.sqrt(n * p * (1 - p)) + 1


# --------------------------------------------------------------------------- recovery of the truth


def test_adjusted_mixed_model_recovers_weekly_vs_monthly_depth_and_naive_is_biased(survey):
    org = simulate(survey, teams=300, waves=1, seed=4)
    truth = org.truth["estimands"]["depth_weekly_vs_monthly"]
    assert truth["latent"] == pytest.approx(DEFAULT_EFFECTS["depth_cadence"]["weekly"])
    d = analysis_frame(org, survey, "depth")
    fit = fit_adjusted(d)
    lo, hi = fit.conf_int().loc[WEEKLY]
    assert lo <= truth["score"] <= hi
    naive = d.loc[d["cadence"] == "weekly", "score"].mean() - d.loc[d["cadence"] == "monthly", "score"].mean()
    assert not lo <= naive <= hi, "the naive difference should fall outside the adjusted interval"
    assert naive < truth["score"] - 0.15  # confounding by division pulls it towards zero


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_null_option_adjusted_effect_covers_zero(survey):
    # under the null the covariates explain all team variance of depth (icc floor), so the
    # team variance estimate may sit on its boundary: statsmodels warns, which is expected
    org = simulate(survey, teams=300, waves=1, seed=4, null=True)
    assert org.truth["estimands"]["depth_weekly_vs_monthly"]["score"] == 0
    assert all(v == 0 for v in org.truth["parameters"]["effects"]["depth_cadence"].values())
    fit = fit_adjusted(analysis_frame(org, survey, "depth"))
    lo, hi = fit.conf_int().loc[WEEKLY]
    assert lo <= 0 <= hi
    assert abs(fit.params[WEEKLY]) < 0.15


@pytest.mark.parametrize("target", [0.10, 0.25])
def test_observed_construct_score_icc_matches_target(survey, target):
    org = simulate(survey, teams=3000, waves=1, seed=21, icc=target)
    wave = org.waves[0]
    df, latent = org.responses[wave], org.latent[wave]
    keep = attentive(latent)
    for construct in survey.constructs:
        score = construct_score(df, survey, construct)[keep]
        observed = icc1(score, df["team"][keep])
        assert observed == pytest.approx(target, abs=0.03), construct
        expected = org.truth["variance_components"][construct]["icc_score"]
        assert (
            expected == pytest.approx(target, abs=1e-3)
            or expected == org.truth["variance_components"][construct]["icc_floor"]
        )


def test_truth_estimands_follow_the_model(org):
    est = org.truth["estimands"]
    assert set(est) >= {
        "depth_weekly_vs_monthly",
        "cadence_contrasts",
        "availability_on_holding_back",
        "informal_on_depth",
        "depth_on_outcomes",
        "only_channel",
        "short_vs_30min_on_depth",
    }
    for value in est.values():
        assert isinstance(value["definition"], str) and len(value["definition"]) > 40
    by = est["cadence_contrasts"]["by_reported"]
    depth = by["depth"]
    assert depth["weekly"]["score"] > depth["biweekly"]["score"] > 0 > depth["less_than_monthly"]["score"]
    assert depth["none"]["score"] < 2 * depth["less_than_monthly"]["score"]  # no 1:1s: far below
    assert by["availability"]["weekly"]["latent"] == 0  # cadence does not move it
    assert est["availability_on_holding_back"]["score"] < 0
    assert est["informal_on_depth"]["score"] == 0
    channel = est["only_channel"]
    assert channel["low_availability"]["score"] > 0 > channel["high_availability"]["score"]
    for outcome in ("engagement", "growth", "trust", "intent_to_stay"):
        # depth drives the outcomes more than cadence does
        assert est["depth_on_outcomes"][outcome]["score"] > by[outcome]["weekly"]["score"] > 0
    policy = est["cadence_contrasts"]["by_policy"]["depth"]["weekly"]["score"]
    assert 0 < policy < depth["weekly"]["score"]  # disagreement attenuates


# --------------------------------------------------------------------------- organisation and cadence


def test_units_form_a_tree_with_teams_as_leaves(org):
    units = org.units.set_index("unit")
    assert list(org.units.columns) == ["unit", "parent", "kind"]
    assert (units["kind"] == "organisation").sum() == 1
    kinds = units["kind"]
    for team in org.teams["team"]:
        dep = units.at[team, "parent"]
        div = units.at[dep, "parent"]
        assert (kinds[team], kinds[dep], kinds[div], units.at[div, "parent"]) == (
            "team",
            "department",
            "division",
            "org",
        )
    assert set(units.index[kinds == "team"]) == set(org.teams["team"])
    assert not set(units["parent"].dropna()) & set(org.teams["team"])


def test_team_sizes_and_confounding(big):
    tw = big.team_waves
    size = tw["headcount"]
    assert (size.between(4, 12)).mean() > 0.7
    assert 0.02 < size.between(1, 3).mean() < 0.15
    assert 0.05 < (size >= 15).mean() < 0.2
    # larger teams meet less often; divisions differ in cadence
    log_size = np.log(size.clip(lower=1))
    assert log_size[tw["policy"] == "weekly"].mean() < log_size[tw["policy"] == "monthly"].mean() - 0.2
    weekly_share = (tw["policy"] == "weekly").groupby(tw["division"]).mean()
    assert weekly_share.max() - weekly_share.min() > 0.4
    shares = tw["policy"].value_counts(normalize=True)
    assert shares["weekly"] == pytest.approx(0.30, abs=0.06)
    assert shares["none"] == pytest.approx(0.05, abs=0.03)


def test_reports_mostly_report_their_managers_policy(big, survey):
    latent = big.latent[big.waves[0]]
    df = big.responses[big.waves[0]]
    careful = attentive(latent)
    agree = (df["cadence"].astype("str") == latent["policy"])[careful].mean()
    assert 0.8 < agree < 0.95
    # the length question is only asked when there are 1:1s
    none = (df["cadence"] == "none").to_numpy()
    assert df["meeting_length"][none].isna().all()
    assert df["meeting_length"][~none].notna().mean() > 0.9


def test_roster_turnover_and_switches(org):
    roster = org.roster
    assert list(roster.columns) == [
        "employee_id",
        "wave",
        "team",
        "manager",
        "tenure",
        "location",
        "level",
        "name",
        "email",
    ]
    assert not roster.duplicated(["employee_id", "wave"]).any()
    managers = org.teams.set_index("team")["manager"]
    assert (roster["team"].map(managers) == roster["manager"]).all()
    ids = {w: set(roster.loc[roster["wave"] == w, "employee_id"]) for w in org.waves}
    first, second = org.waves[:2]
    assert ids[first] - ids[second], "someone leaves"
    assert ids[second] - ids[first], "someone joins"
    joiners = roster[(roster["wave"] == second) & ~roster["employee_id"].isin(ids[first])]
    assert (joiners["tenure"] == "under_1y").all()
    team = roster.pivot(index="employee_id", columns="wave", values="team").dropna()
    assert (team[first] != team[second]).any(), "someone moves team"
    assert roster.groupby("wave")["email"].nunique().eq(roster.groupby("wave").size()).all()
    # switches happen at known times and are what teams.csv says
    tw = org.team_waves.set_index(["team", "wave"])
    switches = org.truth["switches"]
    assert switches
    for s in switches:
        assert {s["from"], s["to"]} == {"weekly", "monthly"}
        assert tw.at[(s["team"], s["previous_wave"]), "policy"] == s["from"]
        assert tw.at[(s["team"], s["wave"]), "policy"] == s["to"]
        assert org.teams.set_index("team").at[s["team"], f"policy_{s['wave']}"] == s["to"]
    assert tw["switched"].sum() == len(switches)


# --------------------------------------------------------------------------- responses and mess


def test_responses_are_canonical(org, survey):
    dtypes = canonical_dtypes(survey)
    key = pseudonym_key(org.seed)
    for wave in org.waves:
        df, latent = org.responses[wave], org.latent[wave]
        assert list(df.columns) == list(survey.columns)
        for col, dtype in dtypes.items():
            assert df[col].dtype == dtype, col
        assert (df["wave"] == wave).all()
        assert df["submitted_at"].is_monotonic_increasing
        assert len(latent) == len(df) and (latent.index == df.index).all()
        expected = [
            "p_" + hmac.new(key, e.casefold().encode(), hashlib.sha256).hexdigest()[:24]
            for e in latent["employee_id"]
        ]
        assert list(df["respondent"]) == expected
        assert not set(latent.columns) & set(survey.item_columns) - {"cadence", "meeting_length"}
    # the pseudonym is stable across waves
    a, b = (org.latent[w].assign(respondent=org.responses[w]["respondent"]) for w in org.waves[:2])
    both = a.merge(b, on="employee_id")
    assert len(both) > 0 and (both["respondent_x"] == both["respondent_y"]).all()


def test_mess_rates_match_their_parameters(big, survey):
    wave = big.waves[0]
    df, latent = big.responses[wave], big.latent[wave]
    first = ~latent["is_duplicate"].to_numpy()
    n = int(first.sum())
    for flag, rate in [
        ("speeder", "speeders"),
        ("straight_liner", "straight_liners"),
        ("attention_failure", "attention_failures"),
        ("has_duplicate", "duplicates"),
        ("names_self", "self_naming"),
    ]:
        assert within(latent.loc[first, flag].sum(), n, DEFAULT_MESS[rate]), flag
    assert latent["is_duplicate"].sum() == latent["has_duplicate"].sum()
    # nonresponse: respondents against the teams' true response rates
    tw = big.team_waves.set_index("team")
    assert tw["response_rate"].between(0.6, 0.9).all() and tw["response_rate"].std() > 0.05
    rates = big.roster["team"].map(tw["response_rate"]).to_numpy()
    assert abs(n - rates.sum()) <= 4 * math.sqrt((rates * (1 - rates)).sum())
    # attention failures answer other than instructed; everyone else as instructed
    failed = latent["attention_failure"].to_numpy()
    assert (df["attention"][failed] != 2).all() and (df["attention"][~failed] == 2).all()
    # speeders are fast; straight-liners give one position to every rated item
    dur = df["duration_s"].astype(float)
    speeder = latent["speeder"].to_numpy()
    assert dur[speeder].median() < 0.3 * dur[~speeder].median()
    rated = [it.id for it in survey.items if it.kind == "ordinal" and it.role is None]
    straight = latent["straight_liner"].to_numpy() & first  # a resubmission changes a few answers
    assert (df.loc[straight, rated].nunique(axis=1) == 1).all()
    assert (df.loc[attentive(latent), rated].nunique(axis=1) > 1).mean() > 0.99
    # not-applicable codes and blank optional answers
    careful = ~(latent[["speeder", "straight_liner", "attention_failure"]].any(axis=1)).to_numpy() & first
    na_items = [i for i in rated if survey.scale_of(i).na_codes]
    cells = df.loc[careful, na_items]
    assert within(int((cells == 9).sum().sum()), cells.size, DEFAULT_MESS["not_applicable"])
    optional = [it.id for it in survey.items if it.role == "demographic"]
    cells = df.loc[first, optional]
    assert within(int(cells.isna().sum().sum()), cells.size, DEFAULT_MESS["item_nonresponse"])
    # duplicates: the same respondent twice, exactly where planted
    twice = df["respondent"].duplicated(keep=False).to_numpy()
    assert (twice == (latent["is_duplicate"] | latent["has_duplicate"]).to_numpy()).all()


def test_self_named_comments_use_the_roster_name(survey):
    org = simulate(survey, teams=40, waves=2, seed=3, mess={"self_naming": 0.2})
    for wave in org.waves:
        df, latent = org.responses[wave], org.latent[wave]
        names = org.roster[org.roster["wave"] == wave].set_index("employee_id")["name"]
        signed = latent["names_self"].to_numpy()
        first = ~latent["is_duplicate"].to_numpy()
        assert within(int(signed[first].sum()), int(first.sum()), 0.2)
        for comment, emp in zip(df["comment"][signed], latent["employee_id"][signed], strict=True):
            assert names[emp] in comment
        others = df["comment"][~signed].dropna()
        assert not others.str.contains("This is ").any()


def test_written_files_validate_except_exactly_the_planted_rows(org, written, survey):
    for wave in org.waves:
        table = read_canonical(written[f"responses_{wave}"])
        result = validate(table, survey, roster=org.roster)
        assert result.n_read == len(table) == len(result.valid) + len(result.quarantine)
        latent = org.latent[wave]
        planted = (latent["attention_failure"] | latent["is_duplicate"] | latent["has_duplicate"]).to_numpy()
        assert planted.any()
        quarantined = np.sort(result.quarantine.index.to_numpy() - 2)  # file row 2 is position 0
        assert quarantined.tolist() == np.flatnonzero(planted).tolist()
        assert set(result.failures["rule"]) <= {"attention_check", "unique_per_wave"}


def test_canonical_file_format(org, written):
    wave = org.waves[0]
    text = written[f"responses_{wave}"].read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    assert header.split(",") == list(org.survey.columns)
    stamp = first.split(",")[3]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp)
    assert set(written) >= {"units", "teams", "roster", "truth", f"qualtrics_{wave}", f"google_forms_{wave}"}
    teams = pd.read_csv(written["teams"])
    assert list(teams.columns[:4]) == ["team", "manager", "department", "division"]
    assert {f"policy_{w}" for w in org.waves} | {f"length_{w}" for w in org.waves} <= set(teams.columns)
    truth = json.loads(written["truth"].read_text())
    assert truth["estimands"]["depth_weekly_vs_monthly"]["latent"] == 0.3
    assert set(truth) >= {"parameters", "variance_components", "estimands", "switches"}
    assert not list(written["truth"].parent.glob(".*.tmp"))


def test_qualtrics_export(org, written, survey):
    wave = org.waves[0]
    path = written[f"qualtrics_{wave}"]
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    ids, texts, imports = rows[:3]
    meta = [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
    ]
    assert ids[: len(meta)] == meta
    assert ids[len(meta) :] == [it.id for it in survey.items]
    assert texts[len(meta) :] == [it.text for it in survey.items]
    parsed = [json.loads(x) for x in imports]
    assert all(set(p) == {"ImportId"} for p in parsed)
    assert parsed[len(meta) + 1] == {"ImportId": "QID2"}
    assert len(rows) - 3 == len(org.responses[wave])
    data = pd.read_csv(path, skiprows=[1, 2], dtype=str, keep_default_na=False)
    df, latent = org.responses[wave], org.latent[wave]
    assert (data["ExternalReference"] == latent["employee_id"]).all()
    cadence = survey.scale_of("cadence")
    position = df["cadence"].map({c: str(i + 1) for i, c in enumerate(cadence.allowed)}).astype(str)
    assert (data["cadence"] == position).all()
    assert (data["depth_why"] == df["depth_why"].astype(str).fillna("")).all()
    assert data["ResponseId"].str.fullmatch(r"R_[A-Za-z0-9]{15}").all()


def test_google_forms_export(org, written, survey):
    wave = org.waves[0]
    raw = written[f"google_forms_{wave}"].read_bytes()
    assert raw.count(b"\r\n") == len(org.responses[wave]) + 1
    assert raw.count(b"\n") == raw.count(b"\r\n")
    data = pd.read_csv(written[f"google_forms_{wave}"], dtype=str, keep_default_na=False)
    assert list(data.columns) == ["Timestamp", "Email Address", *[it.text for it in survey.items]]
    assert data["Timestamp"].str.fullmatch(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}:\d{2} (am|pm) CES?T").all()
    agree = {c.label for c in survey.scales["agree5"].values + survey.scales["agree5"].not_applicable}
    assert set(data[survey.item("depth_why").text]) <= agree
    cadence_labels = {c.label for c in survey.scale_of("cadence").values}
    assert set(data[survey.item("cadence").text]) <= cadence_labels
    emails = org.people.set_index("employee_id")["email"]
    assert (data["Email Address"] == org.latent[wave]["employee_id"].map(emails)).all()


# --------------------------------------------------------------------------- reproducibility and generality


def test_same_seed_same_outputs_different_seed_different(survey, tmp_path):
    a = simulate(survey, teams=12, waves=2, seed=5)
    b = simulate(survey, teams=12, waves=2, seed=5)
    c = simulate(survey, teams=12, waves=2, seed=6)
    for wave in a.waves:
        pd.testing.assert_frame_equal(a.responses[wave], b.responses[wave])
        pd.testing.assert_frame_equal(a.latent[wave], b.latent[wave])
        assert not a.responses[wave]["respondent"].isin(c.responses[wave]["respondent"]).any()
    pd.testing.assert_frame_equal(a.roster, b.roster)
    assert a.truth == b.truth
    pa, pb, pc = a.write(tmp_path / "a"), b.write(tmp_path / "b"), c.write(tmp_path / "c")
    for key in pa:
        assert pa[key].read_bytes() == pb[key].read_bytes(), key
    assert pa["responses_2026Q1"].read_bytes() != pc["responses_2026Q1"].read_bytes()
    # the population truth depends on the parameters, not on the seed
    assert a.truth["estimands"] == c.truth["estimands"]


def test_other_surveys_and_wave_labels():
    text = """
id: mini
version: "1"
title: Mini
scales:
  agree4:
    type: ordinal
    values: {1: "no", 2: "rather no", 3: "rather yes", 4: "yes"}
    not_applicable: {0: n/a}
items:
  - {id: d1, text: D one, scale: agree4, required: true}
  - {id: d2, text: D two, scale: agree4, required: true, reverse: true}
  - {id: d3, text: D three, scale: agree4, required: true}
  - {id: c1, text: C one, scale: agree4}
  - {id: c2, text: C two, scale: agree4}
  - {id: c3, text: C three, scale: agree4}
  - {id: note, text: "Anything else?", type: text, role: comment}
constructs:
  depth: {items: [d1, d2, d3]}
  climate: {items: [c1, c2, c3]}
"""
    mini = parse_survey(text)
    org = simulate(mini, teams=8, waves=3, seed=2, first_wave="2026Q4")
    assert org.waves == ("2026Q4", "2027Q1", "2027Q2")
    df = org.responses["2027Q1"]
    assert list(df.columns) == list(mini.columns)
    assert set(df["d1"].dropna()) <= {0, 1, 2, 3, 4}
    assert "climate" in org.truth["variance_components"]
    result = validate(df, mini)
    latent = org.latent["2027Q1"]
    planted = np.flatnonzero(latent["is_duplicate"] | latent["has_duplicate"])
    assert sorted(result.quarantine.index) == planted.tolist()


# --------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"teams": 0}, r"teams must be a whole number from 1 to \d+; got 0"),
        ({"teams": 2.5}, r"teams must be a whole number .*got 2\.5"),
        ({"teams": True}, r"teams must be a whole number .*got True"),
        ({"waves": 0}, r"waves must be a whole number from 1 to 40; got 0"),
        ({"seed": -1}, r"seed must be a whole number from 0 .*got -1"),
        ({"icc": 0.5}, r"icc must be a number from 0\.0 to 0\.3; got 0\.5"),
        ({"icc": float("nan")}, r"icc must be a number"),
        ({"null": "yes"}, r"null must be True or False; got 'yes'"),
        (
            {"response_rate": (0.9, 0.6)},
            r"response_rate must be a pair \(low, high\) with 0 < low <= high <= 1",
        ),
        ({"response_rate": 0.8}, r"response_rate must be a pair"),
        ({"first_wave": "2026-Q1"}, r"first_wave must look like 2026Q1 .*got '2026-Q1'"),
        ({"effects": {"depth": 1}}, r"effects has unknown keys \['depth'\]; allowed: depth_cadence"),
        (
            {"effects": {"depth_cadence": {"daily": 0.5}}},
            r"effects\['depth_cadence'\] has unknown code 'daily'",
        ),
        ({"effects": {"depth_cadence": 0.5}}, r"effects\['depth_cadence'\] must be a mapping of codes"),
        (
            {"effects": {"loading": 1.2}},
            r"effects\['loading'\] must be a number from 0\.3 to 0\.95; got 1\.2",
        ),
        ({"effects": {"depth_on_outcomes": 2.9}}, r"effects explain too much of construct"),
        ({"mess": {"speeders": -0.1}}, r"mess\['speeders'\] must be a number from 0\.0 to 0\.5; got -0\.1"),
        (
            {"mess": {"speeders": 0.3, "straight_liners": 0.2, "attention_failures": 0.2}},
            r"speeders \+ straight_liners \+ attention_failures must be at most 0\.5",
        ),
        ({"mess": ["speeders"]}, r"mess must be a mapping of names to values; got list"),
        ({"design": {"size_mix": (1, 2)}}, r"design\['size_mix'\] must be three shares"),
        ({"design": {"cadence_shares": {"daily": 1}}}, r"design\['cadence_shares'\] codes must be among"),
    ],
)
def test_argument_errors(survey, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(survey, **kwargs)


def test_survey_must_be_a_survey():
    with pytest.raises(TypeError, match="survey must be a Survey"):
        simulate("surveys/one_on_one_pulse.yaml")
