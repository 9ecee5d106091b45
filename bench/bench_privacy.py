"""Benchmark of the integer-programming adversary of ``tests/privacy`` against the release of a
simulated organisation, department by department, and of what the release keeps (its utility).

For every sampled department it attacks three views of the release: all the department's
managers together with its leader, one of its managers, and its leader, each over every wave
(joiners and leavers included). Each view is attacked twice in the same process: on the construct
means only (the baseline, what the project's first adversary saw) and on everything published
(item means and shares, favourable shares, cuts, changes and their intervals, team estimates);
the ratio of their times is printed. It prints what each attack saw and found, then the totals,
the rows left out of the linear model (the weekly-vs-monthly contrast), and a
utility table: of the numbers whose group reaches its threshold (``min_scores`` for means,
``min_distribution`` for answer shares), how many the release publishes, at every kind of unit,
against a release with primary suppression only (``complementary=False``) in the same run.

Run from the repository root::

    .venv/bin/python bench/bench_privacy.py [--teams 10000] [--waves 2] [--departments N | --all] [--seed 1]
    .venv/bin/python bench/bench_privacy.py --sample dep01   # the sample's four waves, one department
    .venv/bin/python bench/bench_privacy.py --small-orgs 80  # 80 organisations of 12 teams, every department
    .venv/bin/python bench/bench_privacy.py --small-orgs 40 --seed 81  # 40 more (seeds 81 to 120)

A department of the default organisation takes a few minutes (its three views, every construct);
``--all`` attacks every department (hours).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import toolkit  # noqa: E402
from tests.privacy.adversary import attack, sample_release  # noqa: E402
from toolkit.privacy.disclosure import load_policy, release  # noqa: E402

KINDS = ("team", "department", "division", "organisation")


def _rollup(units: pd.DataFrame, team_counts: pd.DataFrame) -> pd.DataFrame:
    """Counts per team (index: team, columns) summed into every unit above (index: unit)."""
    parent = dict(zip(units["unit"].astype(str), units["parent"], strict=True))
    out = {}
    for team, row in team_counts.iterrows():
        cur = team
        while isinstance(cur, str):
            out[cur] = out.get(cur, 0) + row.to_numpy()
            cur = parent.get(cur)
    return pd.DataFrame.from_dict(out, orient="index", columns=team_counts.columns)


def utility(
    rel: pd.DataFrame, responses: pd.DataFrame, survey, units: pd.DataFrame, pol: dict
) -> pd.DataFrame:
    """Eligible and published numbers (cut ``all``) per family and kind of unit."""
    kind = dict(zip(units["unit"].astype(str), units["kind"].astype(str), strict=True))
    scores = toolkit.score(responses, survey)
    rows = []
    for wave, part in responses.groupby(responses["wave"].astype(str)):
        team = part["team"].astype(str)
        cols = {}
        sc = scores[scores["wave"].astype(str) == wave]
        scored = (
            sc[sc["score"].notna()]
            .groupby([sc["team"].astype(str), "construct"])
            .size()
            .unstack(fill_value=0)
        )
        for con in survey.constructs:
            cols[("construct", con, 1)] = scored.get(con, pd.Series(dtype=int))
            cols[("favourable", con, 1)] = cols[("construct", con, 1)]
            for item_id in survey.constructs[con].items:
                scale = survey.scale_of(item_id)
                raw = pd.to_numeric(part[item_id], errors="coerce")
                cols[("item_mean", item_id, 1)] = raw.isin(scale.codes).groupby(team).sum()
                cols[("item_share", item_id, len(scale.allowed))] = (
                    raw.isin(scale.allowed).groupby(team).sum()
                )
        counts = pd.DataFrame(cols).fillna(0)
        up = _rollup(units, counts)
        for (family, name, per), n in up.items():
            need = pol["min_scores"] if family != "item_share" else pol["min_distribution"]
            for unit, value in n.items():
                if value >= need:
                    rows.append((kind[unit], family, wave, unit, name, per))
    eligible = pd.DataFrame(rows, columns=["kind", "family", "wave", "unit", "name", "per"])
    elig = eligible.groupby(["family", "kind"])["per"].sum()
    a = rel[(rel["audience"] == "analyst") & (rel["cut"].astype(str) == "all")]
    measure = a["measure"].astype(str)
    head = measure.str.split(":").str[0]
    fam = np.where(
        measure.str.endswith(":mean") & head.isin(list(survey.constructs)),
        "construct",
        np.where(
            measure.str.endswith(":favourable"),
            "favourable",
            np.where(
                measure.str.endswith(":mean") & ~head.isin(list(survey.constructs)),
                "item_mean",
                np.where(
                    measure.str.contains(":share:") & ~head.isin(["cadence", "meeting_length"]),
                    "item_share",
                    "",
                ),
            ),
        ),
    )
    pub = pd.DataFrame({"family": fam, "kind": a["unit"].astype(str).map(kind)})
    pub = pub[pub["family"] != ""].groupby(["family", "kind"]).size()
    out = pd.DataFrame({"eligible": elig, "published": pub}).fillna(0).astype(int)
    return out


def _print_utility(safe: pd.DataFrame, base: pd.DataFrame) -> None:
    names = {
        "construct": "construct means",
        "favourable": "favourable",
        "item_mean": "item means",
        "item_share": "item shares",
    }
    print("\nutility: numbers whose group reaches its threshold (cut all), and how many are published")
    print(f"  {'measure':<16} {'unit':<13} {'eligible':>9} {'release':>16} {'threshold only':>16}")
    for family in names:
        for k in KINDS:
            if (family, k) not in safe.index:
                continue
            e = int(safe.loc[(family, k), "eligible"])
            p = int(safe.loc[(family, k), "published"])
            b = int(base.loc[(family, k), "published"]) if (family, k) in base.index else 0
            print(
                f"  {names[family]:<16} {k:<13} {e:>9,} {p:>9,} {100 * p / max(e, 1):5.1f}% "
                f"{b:>9,} {100 * b / max(e, 1):5.1f}%"
            )


def sample_attack(survey, department: str) -> int:
    """The sample's four waves as the project releases them (each Qualtrics export ingested into
    a store, then ``release_store`` with the roster): one department's three views, every
    construct. Returns the number of findings singling someone out."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        responses, units, rel = sample_release(survey, Path(tmp) / "store")
    teams = sorted(units.loc[units["parent"] == department, "unit"].astype(str))
    if not teams:
        raise SystemExit(f"{department} has no teams in data/sample/units.csv")
    single = 0
    for view in (
        [f"manager:{teams[0]}"],
        [f"leader:{department}"],
        [f"leader:{department}", *(f"manager:{t}" for t in teams)],
    ):
        a = attack(rel, view, responses, survey, units)
        single += len(a.singled_out)
        print(a.summary(3), flush=True)
    waves = ", ".join(sorted(rel["wave"].astype(str).unique()))
    print(f"\nsample {department}, waves {waves}: singled out {single}")
    return single


def _organisation(survey, teams: int, waves: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A simulated organisation's valid responses over every wave, and its units."""
    org = toolkit.simulate(survey, teams=teams, waves=waves, seed=seed)
    responses = pd.concat(
        [toolkit.validate(org.responses[w], survey).valid for w in org.waves], ignore_index=True
    )
    return responses, org.units


def _department_view(dep: str, teams) -> list[str]:
    """The audiences of a department's leader and all its managers, attacked together."""
    return [f"leader:{dep}", *(f"manager:{t}" for t in teams)]


def small_orgs(survey, count: int, teams: int, waves: int, first: int = 1) -> int:
    """Simulated organisations of ``teams`` teams, seeds ``first`` to ``first + count - 1``: every
    department's managers together with its leader, every construct, over every wave."""
    single, group, timeouts, views, seconds = [], 0, 0, 0, 0.0
    for seed in range(first, first + count):
        responses, units = _organisation(survey, teams, waves, seed)
        rel = release(responses, survey, units)
        found = []
        for dep in units.loc[units["kind"] == "department", "unit"].astype(str):
            teams_of = units.loc[units["parent"].astype(str) == dep, "unit"].astype(str)
            a = attack(rel, _department_view(dep, teams_of), responses, survey, units)
            views += 1
            seconds += a.seconds
            found += a.singled_out
            group += len(a.group_disclosures)
            timeouts += len(a.timeouts)
        single += found
        print(f"seed {seed:>3}: {len(responses):,} responses, singled out {len(found)}", flush=True)
        for f in found[:2]:
            print(f"    {f}")
    people = {(f.wave, f.respondent) for f in single}
    print(
        f"\n{count} simulated organisations of {teams} teams (seeds {first} to {first + count - 1}), "
        f"{waves} waves: {views} department views "
        f"(managers and leader), attacks {seconds:.1f} s; singled out: {len(single)} findings on "
        f"{len(people)} respondents; group disclosures: {group}; timeouts: {timeouts}"
    )
    return 1 if single or timeouts else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--waves", type=int, default=2)
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--departments", type=int, default=1, help="how many departments to attack (a seeded sample)"
    )
    group.add_argument("--all", action="store_true", help="attack every department")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument(
        "--sample",
        metavar="DEPARTMENT",
        help="attack this department of the sample (four waves, every construct) instead",
    )
    parser.add_argument(
        "--small-orgs",
        type=int,
        metavar="N",
        help="attack every department of N simulated organisations of 12 teams (seeds --seed to "
        "--seed + N - 1) instead",
    )
    args = parser.parse_args(argv)

    survey = toolkit.load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    if args.sample:
        return 1 if sample_attack(survey, args.sample) else 0
    if args.small_orgs:
        return small_orgs(survey, args.small_orgs, 12, args.waves, args.seed)
    t0 = time.perf_counter()
    responses, units = _organisation(survey, args.teams, args.waves, args.seed)
    t1 = time.perf_counter()
    deps = units.loc[units["kind"] == "department", "unit"].astype(str).tolist()
    rng = np.random.default_rng(args.seed)
    chosen = (
        deps if args.all else sorted(rng.choice(deps, size=min(args.departments, len(deps)), replace=False))
    )
    teams_of = units[units["kind"] == "team"].groupby(units["parent"].astype(str))["unit"].agg(list)
    views = []
    for dep in chosen:
        teams = sorted(map(str, teams_of.get(dep, [])))
        if not teams:
            continue
        views.append((dep, "department", _department_view(dep, teams)))
        views.append((dep, "manager", [f"manager:{teams[0]}"]))
        views.append((dep, "leader", [f"leader:{dep}"]))
    audiences = sorted({a for _, _, v in views for a in v})
    pol = load_policy(None)
    print(
        f"teams={args.teams} waves={args.waves} seed={args.seed}: {len(responses):,} valid responses, "
        f"{len(deps)} departments (simulate + validate {t1 - t0:.1f} s)"
    )
    t2 = time.perf_counter()
    rel = release(responses, survey, units, audiences=["analyst", *audiences])
    t3 = time.perf_counter()
    base = release(responses, survey, units, complementary=False, audiences=["analyst"])
    t4 = time.perf_counter()
    print(
        f"release: {t3 - t2:.1f} s ({len(rel):,} rows for the analyst and {len(audiences)} audiences); "
        f"threshold-only release {t4 - t3:.1f} s"
    )
    which = "all" if args.all else "a seeded sample"
    print(f"attacking {len(chosen)} departments ({which}): {', '.join(chosen)}\n")

    totals = {
        "respondents": set(),
        "unknowns": 0,
        "lp": 0,
        "milp": 0,
        "timeouts": [],
        "single": [],
        "group": 0,
        "seconds": 0.0,
        "base_single": 0,
    }
    measure = rel["measure"].astype(str)
    parts = measure.str.partition(":")
    head, kind = parts.iloc[:, 0], parts.iloc[:, 2]
    means_only = rel[head.isin(list(survey.constructs)) & (kind == "mean")]
    start = time.perf_counter()
    base_seconds = 0.0
    skipped: dict[str, int] = {}
    for dep, name, view in views:
        b = attack(means_only, view, responses, survey, units, time_limit=args.time_limit)
        base_seconds += b.seconds
        totals["base_single"] += len(b.singled_out)
        a = attack(rel, view, responses, survey, units, time_limit=args.time_limit)
        totals["seconds"] += a.seconds
        for k, v in a.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
        inside = responses["team"].astype(str).isin(teams_of.get(dep, []))
        totals["respondents"] |= set(
            zip(responses.loc[inside, "respondent"], responses.loc[inside, "wave"], strict=True)
        )
        totals["unknowns"] += a.unknowns
        totals["lp"] += a.lp_solves
        totals["milp"] += a.milp_solves
        totals["timeouts"] += a.timeouts
        totals["single"] += a.singled_out
        totals["group"] += len(a.group_disclosures)
        print(
            f"{dep} {name:<10} {len(view):>3} audiences, {a.rows:>6,} rows, {a.respondents:>7,} respondents, "
            f"{a.unknowns:>7,} unknowns in {a.classes:>6,} classes, "
            f"{a.lp_solves:>4} LP + {a.milp_solves:>4} MILP, "
            f"{a.seconds:6.1f} s: singled out {len(a.singled_out)}, group disclosures "
            f"{len(a.group_disclosures)}, timeouts {len(a.timeouts)}; means only {b.seconds:.1f} s "
            f"(x{a.seconds / max(b.seconds, 1e-9):.1f})",
            flush=True,
        )
        for f in a.singled_out[:2]:
            print(f"    {f}")
    wall = time.perf_counter() - start
    single = {(f.wave, f.respondent) for f in totals["single"]}
    print(
        f"\ndepartments attacked: {len(chosen)}; views: {len(views)}; respondents of the departments: "
        f"{len(totals['respondents']):,} (response rows)\nunknowns: {totals['unknowns']:,}; solves: "
        f"{totals['lp']:,} LP + {totals['milp']:,} MILP; timeouts: {len(totals['timeouts'])}\n"
        f"singled out: {len(totals['single'])} findings on {len(single)} respondents; "
        f"group disclosures: {totals['group']}; wall time of the attacks: {wall:.1f} s\n"
        f"baseline (the same views, construct means only): {base_seconds:.1f} s, singled out "
        f"{totals['base_single']}; everything published: {totals['seconds']:.1f} s, ratio to the "
        f"baseline x{totals['seconds'] / max(base_seconds, 1e-9):.1f}"
    )
    if skipped:
        print(
            "not modelled (not linear in the answers; one organisation-level coefficient each): "
            + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
        )
    print(f"skipped departments: {len(deps) - len(chosen)} of {len(deps)} (not sampled; --all attacks them)")
    for f in totals["single"][:5]:
        print(f"  e.g. {f}")
    for t in totals["timeouts"][:5]:
        print(f"  timeout: {t}")
    _print_utility(utility(rel, responses, survey, units, pol), utility(base, responses, survey, units, pol))
    return 1 if totals["single"] else 0  # nobody may be singled out


if __name__ == "__main__":
    raise SystemExit(main())
