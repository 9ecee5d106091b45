"""The study's answer in one place: ``summary.md`` and ``summary.html`` for wide circulation.

:func:`study_summary` puts together, in plain language and with every number, what the
analysis notebooks find for one wave: the adjusted weekly-vs-monthly contrast on depth and the
outcomes (notebook 03), the teams that switched cadence and their pre-trend test (04),
measurement invariance across cadence (02), reliability and ICC (02), power for the next
quarter (05), and what an observational design can and cannot say. The numbers come from
:func:`toolkit.stats.summary.summary_numbers`; this module only words them and renders the same
sections as Markdown and as HTML (``templates/summary.html.j2``, with the reports' stylesheet).

Only organisation-level numbers appear: contrasts, intervals, counts of people, teams and
switches, reliability and ICC over the whole wave. No team is named and no number is per team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import atomic_write_text, md_table
from toolkit.report._common import environment
from toolkit.stats.summary import SummaryNumbers, summary_numbers

__all__ = ["StudySummary", "study_summary", "summary_html", "summary_markdown"]

_COVARIATE_WORDS = {"log_size": "team size (log of the headcount)", "division": "division"}
_SHORT_WORDS = {"log_size": "size", "division": "division"}
_SAME_READING = {
    "scalar": "Yes: the comparison of means is supported (scalar invariance holds).",
    "metric": "Only in part: relationships can be compared, means cannot (metric invariance holds, scalar "
    "does not), so part of a difference in scores may be a difference in how the questions are read.",
    "configural": "No: neither means nor relationships can be compared (only configural invariance holds), "
    "so part of a difference in scores may be a difference in how the questions are read.",
}


@dataclass
class StudySummary:
    """What :func:`study_summary` produced: the numbers, the sections, both renderings, the files."""

    numbers: SummaryNumbers
    sections: list[dict]
    markdown: str
    html: str
    paths: dict[str, Path] = field(default_factory=dict)


def study_summary(
    study, wave: str, *, out_dir: str | Path | None = None, truth=None, alpha: float = 0.05
) -> StudySummary:
    """The study's answer for ``wave``, in plain language; written to ``out_dir`` when given.

    Parameters
    ----------
    study : Study
        From :func:`toolkit.load_study`, ideally with ``units``, ``roster`` (the contrasts are then
        adjusted for division and team size) and ``teams`` (the switchers use the managers' 1:1
        policies).
    wave : str
        A stored wave.
    out_dir : str or Path, optional
        Where ``summary.md`` and ``summary.html`` go (the folder of the reports, so that the
        analyst's ``organisation.html`` can link to ``summary.html``).
    truth : str, Path, dict or Truth, optional
        A simulated sample's ``truth.json`` (:func:`toolkit.load_truth`): the summary then says
        where the true effects lie against the intervals. Leave it out for real data.
    alpha : float, default 0.05
        1 - confidence level of the intervals.

    Returns
    -------
    StudySummary
        ``numbers`` (:class:`toolkit.stats.summary.SummaryNumbers`), ``sections``, ``markdown``,
        ``html`` and ``paths`` (``summary_md``, ``summary_html`` when written).

    Raises
    ------
    ValueError
        When ``wave`` is not stored or lacks weekly or monthly respondents.
    """
    from toolkit.study import Truth, load_truth

    numbers = summary_numbers(study, wave, alpha=alpha)
    known = truth if isinstance(truth, Truth) else load_truth(truth)
    sections = _sections(numbers, known, 1 - alpha)
    title = f"What the 1:1 survey says, wave {wave}"
    lead = _lead(numbers)
    result = StudySummary(
        numbers, sections, summary_markdown(title, lead, sections), summary_html(title, lead, sections)
    )
    if out_dir is not None:
        out = Path(out_dir)
        result.paths["summary_md"] = atomic_write_text(out / "summary.md", result.markdown)
        result.paths["summary_html"] = atomic_write_text(out / "summary.html", result.html)
    return result


def summary_markdown(title: str, lead: str, sections: list[dict]) -> str:
    """The sections as Markdown."""
    lines = [f"# {title}", "", lead, ""]
    for s in sections:
        lines += [f"## {s['title']}", ""]
        for p in s.get("paragraphs", []):
            lines += [p, ""]
        if s.get("bullets"):
            lines += [f"- **{h}** {t}" if h else f"- {t}" for h, t in s["bullets"]] + [""]
        if s.get("table"):
            t = s["table"]
            lines += [f"*{t['caption']}*", "", *md_table(t["header"], t["rows"]), ""]
        for p in s.get("after", []):
            lines += [p, ""]
    return "\n".join(lines).rstrip() + "\n"


def summary_html(title: str, lead: str, sections: list[dict]) -> str:
    """The sections as a complete HTML document (``templates/summary.html.j2``)."""
    return environment().get_template("summary.html.j2").render(title=title, lead=lead, sections=sections)


# --------------------------------------------------------------------------- words


def _num(x: float, d: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.{d}f}"


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _pv(p: float) -> str:
    """A p-value for a table cell."""
    return _p(p).removeprefix("p = ").replace("p < ", "< ")


def _interval(lo: float, hi: float, level: float) -> str:
    return f"{level:.0%} interval {_num(lo)} to {_num(hi)}"


def _covariates(names: list[str]) -> str:
    words = [_COVARIATE_WORDS.get(c, c) for c in names]
    return " and ".join(words) if words else ""


def _lead(n: SummaryNumbers) -> str:
    return (
        "The question: do people with weekly 1:1s have deeper 1:1s, and better outcomes, than people with "
        f"monthly 1:1s? In wave {n.wave}, {n.n_people} people in {n.n_teams} teams answered. Every number "
        "here is for the whole organisation; nothing is shown per team."
    )


def _sections(n: SummaryNumbers, truth, level: float) -> list[dict]:
    return [
        _brief(n, level),
        _contrasts(n, level),
        _switchers(n, level),
        _invariance(n),
        _quality(n),
        _power(n),
        _limits(n, truth),
    ]


def _depth_row(n: SummaryNumbers) -> pd.Series:
    return n.contrasts.set_index("outcome").loc["depth"]


def _did_row(n: SummaryNumbers) -> pd.Series | None:
    if n.switchers is None:
        return None
    rows = n.switchers.set_index("estimator")
    return rows.loc["did_m"] if "did_m" in rows.index else None


def _covers_zero(row) -> bool:
    return bool(row["ci_low"] <= 0 <= row["ci_high"])


def _brief(n: SummaryNumbers, level: float) -> dict:
    d = _depth_row(n)
    same = " and ".join(_SHORT_WORDS.get(c, c) for c in n.covariates)
    adj = f", comparing people in teams of the same {same}" if n.covariates else ""
    verdict = (
        "The interval includes zero: this wave alone cannot tell a real difference from chance."
        if _covers_zero(d)
        else "The interval excludes zero."
    )
    if d["note"]:
        verdict += f" Note: {d['note'].split(':')[0]}, the team variance is estimated as zero" + (
            f"; cluster-robust OLS (CR2) gives {_num(n.robust.loc['depth', 'estimate'])} "
            f"({_interval(n.robust.loc['depth', 'ci_low'], n.robust.loc['depth', 'ci_high'], level)})."
            if "depth" in n.robust.index
            else "."
        )
    outcomes = n.contrasts[n.contrasts["outcome"] != "depth"]
    clear = outcomes.loc[outcomes["p_adj"] < 1 - level, "outcome"].map(n.labels).tolist()
    bullets = [
        (
            "Depth, weekly minus monthly:",
            f"{_num(d['estimate'])} points on the 1-5 scale "
            f"({_interval(d['ci_low'], d['ci_high'], level)}){adj}. {verdict}",
        )
    ]
    if len(outcomes):
        bullets.append(
            (
                "Outcomes:",
                f"weekly minus monthly ranges from {_num(outcomes['estimate'].min())} to "
                f"{_num(outcomes['estimate'].max())} points across "
                f"{', '.join(outcomes['outcome'].map(n.labels))}; "
                + (
                    f"after correcting for testing several outcomes, {', '.join(clear)} differ clearly."
                    if clear
                    else "after correcting for testing several outcomes, none differs clearly."
                ),
            )
        )
    did = _did_row(n)
    if did is not None:
        bullets.append(
            (
                "Teams that switched:",
                "comparing each team that moved between monthly and weekly 1:1s with itself before and "
                f"after, and against teams that kept their cadence, depth was {_num(did['estimate'])} points "
                f"higher with weekly 1:1s ({_interval(did['ci_low'], did['ci_high'], level)}). "
                + (
                    "This interval excludes zero."
                    if not _covers_zero(did)
                    else "This interval includes zero."
                ),
            )
        )
    inv = n.invariance.set_index(["construct", "comparison"])
    if ("depth", "weekly vs monthly") in inv.index:
        r = inv.loc[("depth", "weekly vs monthly")]
        bullets.append(
            (
                "Do the depth questions mean the same to weekly and monthly reports?",
                _SAME_READING.get(r["supported"], f"Not judged: {r['verdict']}"),
            )
        )
    p = n.power
    bullets.append(
        (
            "Is the study big enough?",
            f"To detect this wave's effect on depth (Hedges' g {_num(p['g'], 2)}) with 80% power, a "
            f"comparison of teams needs about {p['teams_needed_for_g']} teams per arm; there are "
            f"{p['teams_weekly']} weekly and {p['teams_monthly']} monthly teams now.",
        )
    )
    return {"id": "brief", "title": "The answer in brief", "bullets": bullets}


def _contrasts(n: SummaryNumbers, level: float) -> dict:
    c = n.contrasts
    rows = [
        [
            n.labels[r.outcome], _num(r.estimate), f"{_num(r.ci_low)} to {_num(r.ci_high)}", _pv(r.p_val),
            f"{r.p_adj:.3f}", _num(r.g, 2), str(r.n_people), str(r.n_teams),
        ]
        for r in c.itertuples(index=False)
    ]  # fmt: skip
    adj = (
        f"adjusted for {_covariates(n.covariates)}"
        if n.covariates
        else "not adjusted for anything (the study was loaded without units and roster)"
    )
    paragraphs = [
        f"Each row compares people who report weekly 1:1s with people who report monthly 1:1s, {adj}. A "
        "mixed model with a random intercept per team (REML, Satterthwaite degrees of freedom, as R's lme4 "
        "and lmerTest) accounts for people in the same team resembling each other. p (Holm) corrects for "
        f"testing {len(c)} constructs at once. Scores run from 1 to 5; Hedges' g is the difference in "
        "standard deviations."
    ]
    significant = c.loc[c["p_adj"] < 1 - level, "outcome"].map(n.labels).tolist()
    after = [
        "After the correction, "
        + (f"{', '.join(significant)} differ{'s' if len(significant) == 1 else ''}" if significant
           else "no construct differs clearly")
        + " between weekly and monthly 1:1s in this wave."
    ]  # fmt: skip
    for r in c.loc[c["note"] != ""].itertuples(index=False):
        after.append(f"Note on {n.labels[r.outcome]}: {r.note.split(';')[0]}.")
        if r.outcome in n.robust.index:
            b = n.robust.loc[r.outcome]
            after.append(
                "Checked with least squares and cluster-robust CR2 standard errors (Satterthwaite degrees "
                "of freedom, as R's clubSandwich), which do not need a team variance: "
                f"{_num(b['estimate'])} ({_interval(b['ci_low'], b['ci_high'], level)}, {_p(b['p_val'])})."
            )
    return {
        "id": "contrasts",
        "title": "Weekly vs monthly 1:1s, adjusted",
        "paragraphs": paragraphs,
        "table": {
            "caption": f"Weekly minus monthly, wave {n.wave} ({level:.0%} intervals)",
            "header": ["Construct", "Weekly - monthly", f"{level:.0%} interval", "p", "p (Holm)", "Hedges' g",
                       "People", "Teams"],
            "rows": rows,
        },
        "after": after,
    }  # fmt: skip


def _switchers(n: SummaryNumbers, level: float) -> dict:
    section = {"id": "switchers", "title": "Teams that switched between monthly and weekly 1:1s"}
    did = _did_row(n)
    if did is None:
        section["paragraphs"] = [
            f"Not available: {n.switchers_reason or 'no switch between monthly and weekly'}."
        ]
        return section
    waves = f"{n.waves[0]} to {n.waves[-1]}"
    section["paragraphs"] = [
        f"Across waves {waves}, {n.n_switches} changes between monthly and weekly 1:1s were seen. Comparing "
        "a team with itself before and after its switch removes everything that stays the same about the "
        "team (its size, its division, its manager's style). The headline estimate is DID_M (de "
        f"Chaisemartin and D'Haultfoeuille): {_num(did['estimate'])} points of depth for weekly against "
        f"monthly ({_interval(did['ci_low'], did['ci_high'], level)}, {_p(did['p_val'])}, on "
        f"{did['df']:.0f} degrees of freedom, from {int(did['n_switchers'])} switches and "
        f"{int(did['n_teams'])} teams)."
    ]
    rows = [
        [
            {"did_m": "DID_M (headline)", "cs_not_yet": "Callaway-Sant'Anna, not-yet-switched controls",
             "twfe": "two-way fixed effects (for comparison; can be biased)"}.get(r.estimator, r.estimator),
            _num(r.estimate), f"{_num(r.ci_low)} to {_num(r.ci_high)}", _pv(r.p_val), str(int(r.n_teams)),
        ]
        for r in n.switchers.iloc[::-1].itertuples(index=False)
    ]  # fmt: skip
    section["table"] = {
        "caption": f"Effect of weekly against monthly 1:1s on depth, from the switchers ({level:.0%} "
        "intervals)",
        "header": ["Estimator", "Estimate", f"{level:.0%} interval", "p", "Teams"],
        "rows": rows,
    }
    after = []
    pre = n.pretrend
    if pre is not None and len(pre):
        placebo = pre[pre["test"] == "did_m_placebo"]
        pooled = pre[(pre["test"] == "cs_event_study") & (pre["direction"] == "pooled")]
        parts = []
        if len(placebo):
            parts.append(f"the placebo DID_M one wave before the switch gives {_p(placebo['p_val'].iloc[0])}")
        if len(pooled):
            r = pooled.iloc[0]
            parts.append(
                f"the joint test of the event-study estimates before the switch gives {_p(r['p_val'])} (F "
                f"on {int(r['df'])} and {r['df_denom']:.0f} degrees of freedom)"
            )
        ok = all(p >= 1 - level for p in [*placebo["p_val"], *pooled["p_val"]] if np.isfinite(p))
        after.append(
            "Pre-trend test: before switching, did switching teams move like the teams that stayed? "
            + "; ".join(parts)[:1].upper()
            + "; ".join(parts)[1:]
            + ". "
            + (
                "Neither rejects parallel trends, which supports the design but cannot prove it with this "
                "few switching teams."
                if ok
                else "A test rejects parallel trends: read the switchers' estimate with caution."
            )
        )
    return {**section, "after": after}


def _invariance(n: SummaryNumbers) -> dict:
    t = n.invariance
    rows = [
        [
            n.labels[r.construct], r.comparison, str(r.n),
            " / ".join("-" if pd.isna(v) else f"{v:.3f}" for v in (r.cfi_configural, r.cfi_metric,
                                                                       r.cfi_scalar)),
            r.supported, r.can_compare,
        ]
        for r in t.itertuples(index=False)
    ]  # fmt: skip
    scalar = t[(t["comparison"] == "weekly vs monthly") & t["means_comparable"]]["construct"].map(n.labels)
    metric = t[(t["comparison"] == "weekly vs monthly") & (t["supported"] == "metric")]["construct"].map(
        n.labels
    )
    neither = t[(t["comparison"] == "weekly vs monthly") & ~t["supported"].isin(["scalar", "metric"])]
    paragraphs = [
        "A difference in scores between cadences is only a difference in what the questions measure if "
        "people with different cadences read the questions the same way. Multi-group confirmatory factor "
        "analysis (as R's lavaan) tests this in steps: the same items go together (configural), they weigh "
        "the same (metric: relationships such as correlations can be compared), and they start from the "
        "same point (scalar: means can be compared). A step holds when the fit (CFI) drops by no more than "
        "0.01. Missing answers are handled listwise: a person with any missing item of a construct is left "
        "out of that construct's models. People are treated as independent here, although they work in "
        "teams."
    ]
    after = [
        "Weekly vs monthly: the comparison of means is supported for "
        + (", ".join(scalar) or "no construct")
        + "; only relationships can be compared for "
        + (", ".join(metric) or "no construct")
        + "; neither for "
        + (", ".join(neither["construct"].map(n.labels)) or "no construct")
        + "."
    ]
    return {
        "id": "invariance",
        "title": "Do the questions mean the same across cadences?",
        "paragraphs": paragraphs,
        "table": {
            "caption": "Measurement invariance across reported cadence",
            "header": ["Construct", "Cadences", "People", "CFI configural / metric / scalar", "Holds",
                       "Can be compared"],
            "rows": rows,
        },
        "after": after,
    }  # fmt: skip


def _quality(n: SummaryNumbers) -> dict:
    m = n.measurement
    rows = [
        [
            n.labels[r.construct],
            f"{r.raw_alpha:.2f}",
            f"{r.omega_total:.2f}",
            f"{r.icc1:.3f}",
            f"{r.icc2:.2f}",
        ]
        for r in m.itertuples(index=False)
    ]
    paragraphs = [
        f"Reliability (coefficient alpha) ranges from {m['raw_alpha'].min():.2f} to "
        f"{m['raw_alpha'].max():.2f} (0.70 or more is the usual bar for comparing groups). ICC(1), the "
        f"share of the differences that lies between teams, ranges from {m['icc1'].min():.3f} to "
        f"{m['icc1'].max():.3f}: people in a team resemble each other, which is why every comparison here "
        f"accounts for teams. ICC(2), the reliability of one team's mean, ranges from {m['icc2'].min():.2f} "
        f"to {m['icc2'].max():.2f}"
        + (": below 0.70, so single teams should not be ranked." if m["icc2"].max() < 0.70 else ".")
    ]
    return {
        "id": "quality",
        "title": "How well the survey measures",
        "paragraphs": paragraphs,
        "table": {
            "caption": f"Reliability and team variance, wave {n.wave}",
            "header": ["Construct", "Alpha", "Omega", "ICC(1)", "ICC(2)"],
            "rows": rows,
        },
    }


def _power(n: SummaryNumbers) -> dict:
    p = n.power
    planned = ", ".join(f"{e:.1f} SD: {t} teams" for e, t in p["planned"].items())
    icc_text = f"ICC(1) of depth {p['icc1']:.3f}" + (
        f" (planned with {p['icc_used']:.2f}, since a smaller value would promise too much)"
        if p["icc_used"] != p["icc1"]
        else ""
    )
    return {
        "id": "power",
        "title": "Power for the next quarter",
        "paragraphs": [
            f"This wave has {p['teams_weekly']} teams whose reports mostly have weekly 1:1s and "
            f"{p['teams_monthly']} with monthly ones, with {p['team_size']:.1f} respondents per team on "
            f"average and {icc_text}. With {p['teams_per_arm']} teams per arm, the smallest effect a "
            f"comparison of teams detects with 80% power (5% two-sided) is {p['mde']:.2f} standard "
            f"deviations. This wave's adjusted effect on depth, Hedges' g {_num(p['g'], 2)}, would need "
            f"{p['teams_needed_for_g']} teams per arm. Teams needed per arm for other effects: {planned}."
        ],
    }


def _limits(n: SummaryNumbers, truth) -> dict:
    adj = _covariates(n.covariates)
    bullets = [
        (
            "Observational design.",
            "Managers choose their 1:1 cadence; nobody assigned it at random. A difference between weekly "
            "and monthly teams can come from whatever makes managers choose weekly 1:1s.",
        ),
        (
            "Confounders adjusted for.",
            f"The contrasts adjust for {adj}, the confounders the data hold."
            if adj
            else "None: the study was loaded without units and roster.",
        ),
        (
            "What is not adjusted for.",
            "Anything not measured, such as a manager's skill or workload, may drive both cadence and "
            "depth. The switchers' comparison removes what stays the same about a team, but not what "
            "changes with the switch (a new manager, a reorganisation).",
        ),
        (
            "Cadence as reported.",
            "Cadence is what each person says their 1:1s are, not a calendar record.",
        ),
        (
            "What it can say.",
            "Whether, in this organisation, people with weekly 1:1s report deeper 1:1s than comparable "
            "people with monthly ones, how big the difference plausibly is (the intervals), and whether "
            "teams that switched changed accordingly.",
        ),
    ]
    if truth is not None and truth.known:
        d = _depth_row(n)
        true_c = truth.contrasts.query("outcome == 'depth' and level_a == 'weekly'")["truth"]
        text = ""
        if len(true_c):
            t = float(true_c.iloc[0])
            inside = d["ci_low"] <= t <= d["ci_high"]
            text += (
                f"The sample is synthetic: its true weekly-minus-monthly difference in depth is {_num(t)}, "
                f"{'inside' if inside else 'outside'} the adjusted interval."
            )
        true_all = truth.contrasts[truth.contrasts["level_a"] == "weekly"].set_index("outcome")["truth"]
        rows = n.contrasts[n.contrasts["outcome"].isin(true_all.index)]
        missed = [
            f"{n.labels[r.outcome]}: truth {_num(true_all[r.outcome])}"
            for r in rows.itertuples(index=False)
            if not r.ci_low <= true_all[r.outcome] <= r.ci_high
        ]
        text += (
            f" {len(rows) - len(missed)} of the {len(rows)} adjusted intervals cover their true difference"
            + (
                f" (not {', '.join(missed)}; with {len(rows)} intervals at 95%, a miss is expected now and "
                "then)."
                if missed
                else "."
            )
        )
        policy = truth.estimands.get("cadence_contrasts", {}).get("by_policy", {}).get("depth", {})
        did = _did_row(n)
        if did is not None and "weekly" in policy:
            t = float(policy["weekly"]["score"])
            inside = did["ci_low"] <= t <= did["ci_high"]
            text += (
                f" Its true effect of the manager's policy (weekly against monthly) is {_num(t)}, "
                f"{'inside' if inside else 'outside'} the switchers' interval."
            )
        bullets.append(("Checked against the truth.", text.strip()))
    return {"id": "limits", "title": "What the data can and cannot say", "bullets": bullets}
