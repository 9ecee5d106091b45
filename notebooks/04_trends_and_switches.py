# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 Quarterly trends and cadence switches: what happens when a manager changes the rhythm?
#
# **Question.** How do 1:1 depth and holding back move over the quarters for each cadence, and
# when a manager switches between monthly and weekly 1:1s, does depth follow? Teams that switch
# are compared with teams that keep their cadence over the same waves (difference in
# differences), which removes everything constant about a team; the pre-switch estimates test
# whether switchers were already on a different path (pre-trends).
#
# A team's cadence in a wave is its manager's policy (teams.csv) when known, else the cadence
# most of its reports name. The sample is synthetic: the planted switches and the true effect
# are shown beside the estimates (absent for real data: `TRUTH = None`).
#
# Everything here is about teams (team means per wave), so it works on an anonymous survey too,
# whose respondents cannot be followed from wave to wave; an analysis of individuals who change
# cadence would need them, and is not available there (the notebook says so below).

# %%
import seaborn as sns
from IPython.display import Markdown

import toolkit
from toolkit import plots
from toolkit.stats.describe import cadence_means
from toolkit.study import load_study, load_truth

sns.set_theme(style="whitegrid")

# %% tags=["parameters"]
TEAMS = "../data/sample/teams.csv"
WAVE = "2026Q4"
STORE = "../out/notebooks/store"
SURVEY = "../surveys/one_on_one_pulse.yaml"
TRUTH = "../data/sample/truth.json"

# %%
study = load_study(STORE, survey=SURVEY, teams=TEAMS)
panel = study.scores[study.scores["wave"] <= WAVE]
truth = load_truth(TRUTH)
print(f"waves {', '.join(sorted(panel['wave'].unique()))}; policies known: {study.policies is not None}")
print(
    "respondents are linked across waves" if study.linked
    else f"respondents are not linked across waves ({study.linkage}): only team-level analyses are available"
)  # fmt: skip

# %% [markdown]
# ## Trends by reported cadence across waves

# %%
trends = cadence_means(panel, by=("wave", "cadence"), constructs=["depth", "holding_back", "reliability"])
trends.pivot_table(index=["construct", "cadence"], columns="wave", values="mean", observed=True).round(2)

# %%
fig = plots.trend_plot(trends, construct="depth", label=study.labels["depth"])

# %%
fig = plots.trend_plot(trends, construct="holding_back", label=study.labels["holding_back"])

# %% [markdown]
# ## Teams that switch between monthly and weekly 1:1s
#
# Every change of cadence between consecutive waves, and (sample only) whether the simulator
# planted it.

# %%
switches = toolkit.cadence_switches(panel, outcome="depth", policies=study.policies)
found = switches.switches.merge(truth.switches, how="left", indicator="planted")
found["planted"] = found["planted"] == "both"
found

# %% [markdown]
# ## The effect of a switch
#
# `did_m` (de Chaisemartin and D'Haultfœuille) is the headline: the effect in the wave of the
# switch, both directions, against teams that keep their cadence. `cs_not_yet` (Callaway and
# Sant'Anna, against teams not yet switched) agrees with it by design at e = 0; `twfe`, the
# two-way fixed-effects regression, is shown only for comparison: with staggered switches it
# can be biased.

# %%
estimators = ["estimator", "estimate", "se", "df", "ci_low", "ci_high", "p_val", "n_teams", "n_switchers"]
switches.summary[estimators].round(3)

# %% [markdown]
# ## Event study and pre-trends
#
# Estimates by waves since the switch (treated minus control cadence, both directions pooled).
# Estimates before the switch (e < 0) should be near zero; `cs_event_study` tests those with
# e <= -2 jointly, `did_m_placebo` repeats DID_M one wave earlier.

# %%
true_effect = truth.contrasts.query("outcome == 'depth' and level_a == 'weekly'")["truth"]
fig = plots.event_study_plot(
    switches.event_study, truth=true_effect.iloc[0] if len(true_effect) else None,
    title=f"Depth after a switch between monthly and weekly 1:1s, waves up to {WAVE}",
)  # fmt: skip

# %%
event_times = switches.event_study[switches.event_study["direction"] == "pooled"]
event_times[["aggregate", "e", "estimate", "ci_low", "ci_high", "p_val", "n", "n_cells"]].round(3)

# %%
switches.pretrend.round(4)

# %% [markdown]
# ## Conclusions

# %%
summary = switches.summary.set_index("estimator")
did_m, twfe = summary.loc["did_m"], summary.loc["twfe"]
placebo = switches.pretrend.set_index("test")["p_val"].get("did_m_placebo")
pooled_pre = switches.pretrend.query("test == 'cs_event_study' and direction == 'pooled'")
depth_means = trends[trends["construct"] == "depth"].pivot(index="cadence", columns="wave", values="mean")
gap = depth_means.loc["weekly"] - depth_means.loc["monthly"]
Markdown(
    ("" if study.linked else
     f"- **Respondents are not linked across waves** ({study.linkage}): the switches below are of "
     "teams, compared through their team means; how individuals who change cadence fare is not "
     "available.\n")
    + f"- Described without adjustment, weekly minus monthly mean depth ranges from {gap.min():+.2f} "
    f"({gap.idxmin()}) to {gap.max():+.2f} ({gap.idxmax()}) across waves: cadence is confounded with team "
    "size and division (see the weekly-vs-monthly notebook), which comparing switchers with stayers "
    "removes.\n"
    f"- **{len(found)} switches** of cadence were seen, {int(found['direction'].isin(['on', 'off']).sum())} "
    f"of them between monthly and weekly"
    + (f"; {int(found['planted'].sum())} of {len(truth.switches)} planted switches are found"
       if truth.known else "")
    + ".\n"
    f"- **Effect of switching to weekly 1:1s on depth (DID_M): {did_m['estimate']:+.3f}** score points, "
    f"95% CI [{did_m['ci_low']:+.3f}, {did_m['ci_high']:+.3f}], p = {did_m['p_val']:.3g}, from "
    f"{int(did_m['n_switchers'])} switches in {int(did_m['n_teams'])} teams"
    + (f"; the simulator's truth is {true_effect.iloc[0]:+.3f}" if len(true_effect) else "")
    + f". The two-way fixed-effects estimate is {twfe['estimate']:+.3f}.\n"
    f"- **Pre-trends:** the placebo DID_M one wave earlier has p = {placebo:.3g}"
    + (
        f"; the joint F test of the pooled pre-switch event-study estimates gives "
        f"F({int(pooled_pre['df'].iloc[0])}, {int(pooled_pre['df_denom'].iloc[0])}) = "
        f"{pooled_pre['f_statistic'].iloc[0]:.2f}, p = {pooled_pre['p_val'].iloc[0]:.3g}, from "
        f"{int(pooled_pre['n_treated_teams'].iloc[0])} treated teams"
        if len(pooled_pre) and pooled_pre["p_val"].notna().iloc[0]
        else f"; the joint pre-trend test cannot be computed here ({pooled_pre['note'].iloc[0]})"
        if len(pooled_pre) else ""
    )
    + ". "
    + ("The placebo gives no sign that switchers were already on a different path."
       if placebo is not None and placebo >= 0.05
       else "Switchers may have been on a different path already: read the effect with care.")
)  # fmt: skip
