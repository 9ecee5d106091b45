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
# # 05 Study design: how many teams does the next survey need?
#
# **Question.** To compare two 1:1 cadences (say, teams that move to weekly 1:1s against teams
# that stay monthly), how small an effect can a study of a given number of teams detect, and how
# many teams does it need for the effect we care about?
#
# A comparison of cadences is a comparison of teams: people in a team resemble each other, so
# each team of m respondents counts as fewer than m independent people (the design effect
# 1 + (m - 1) ICC). The inputs come from this quarter's data: the ICC of 1:1 depth, the number of
# respondents per team, and the adjusted weekly-vs-monthly effect (notebook 03). The minimum
# detectable effect is for a two-sided test at 5% with 80% power, on t with 2(J - 1) df.

# %%
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

import toolkit
from toolkit import plots
from toolkit.study import load_study

sns.set_theme(style="whitegrid")

# %% tags=["parameters"]
STORE = "../out/notebooks/store"
SURVEY = "../surveys/one_on_one_pulse.yaml"
ROSTER = "../data/sample/roster.csv"
UNITS = "../data/sample/units.csv"
WAVE = "2026Q4"
EFFECTS = [0.2, 0.3, 0.5]

# %% [markdown]
# ## What this quarter's data say about the design

# %%
study = load_study(STORE, survey=SURVEY, roster=ROSTER, units=UNITS)
scores = study.wave_scores(WAVE)
depth = scores[scores["construct"] == "depth"]
depth_icc = toolkit.icc(depth.dropna(subset=["score"]), value="score", group="team").iloc[0]
team_size = depth.groupby("team")["score"].count()
policies = toolkit.team_policy(study.wave_responses(WAVE))["policy"].value_counts()
observed = toolkit.compare_cadence(scores, outcome="depth", covariates=study.adjusted_for).iloc[0]
inputs = {
    "ICC(1) of depth": depth_icc["icc1"],
    "respondents per team (mean)": team_size.mean(),
    "teams with weekly 1:1s (policy)": policies.get("weekly", 0),
    "teams with monthly 1:1s (policy)": policies.get("monthly", 0),
    "adjusted weekly - monthly effect on depth (Hedges' g)": observed["g"],
}
pd.Series(inputs, name="value").astype(float).round(3).to_frame()

# %% [markdown]
# ## Minimum detectable effect by number of teams

# %%
m = max(2, round(team_size.mean()))
icc1 = max(float(depth_icc["icc1"]), 0.01)
curves = toolkit.power(
    teams_per_arm=np.arange(5, 155, 5), team_size=sorted({m, 10, 15}), icc=icc1, distribution="t"
)
curves.pivot(index="teams_per_arm", columns="team_size", values="mde").iloc[[1, 3, 5, 9, 19, 29]].round(3)

# %%
fig = plots.power_curve_plot(
    curves, effect=abs(observed["g"]), effect_label="this quarter's adjusted effect",
    title=f"Minimum detectable effect on depth (ICC {icc1:.2f}, 80% power, 5% two-sided)",
)  # fmt: skip

# %% [markdown]
# ## Teams needed per arm, and how much the ICC matters
#
# The ICC estimated from one quarter of 50 teams is uncertain; the teams needed are shown for it
# and for the range typical of work groups (0.05 to 0.20).

# %%
needed = toolkit.power(
    effect=np.round(np.arange(0.15, 0.61, 0.05), 2), team_size=m,
    icc=sorted({round(icc1, 3), 0.05, 0.1, 0.2}), distribution="t",
)  # fmt: skip
needed.pivot(index="effect", columns="icc", values="teams_needed")

# %%
fig = plots.power_curve_plot(
    needed, x="effect", y="teams_needed", hue="icc",
    title=f"Teams needed per arm to detect an effect ({m} respondents per team, 80% power)",
)  # fmt: skip

# %% [markdown]
# ## Check: the formula against a simulation
#
# The teams needed for each effect of interest (`EFFECTS`); then the analytic power of the middle
# one's design against simulated studies of that design, analysed with the t-test on team means
# (a small number of simulations: the Monte Carlo SE is shown).

# %%
plan = toolkit.power(effect=EFFECTS, team_size=m, icc=icc1, distribution="t")
target = plan.iloc[len(plan) // 2]
check = toolkit.simulated_power(
    teams_per_arm=int(target["teams_needed"]), team_size=m, icc=icc1, effect=float(target["effect"]),
    n_sims=400, seed=2026,
)  # fmt: skip
check[["teams_per_arm", "team_size", "icc", "effect", "n_sims", "power", "mc_se", "exact_power"]].round(3)

# %% [markdown]
# ## Conclusions

# %%
now = min(inputs["teams with weekly 1:1s (policy)"], inputs["teams with monthly 1:1s (policy)"])
now_mde = toolkit.power(teams_per_arm=max(now, 2), team_size=m, icc=icc1, distribution="t").iloc[0]
agrees = abs(check["power"].iloc[0] - check["exact_power"].iloc[0]) <= 2 * check["mc_se"].iloc[0]
many, more = 50, 100  # teams per arm compared in the last point
mde_many = curves[curves["teams_per_arm"] == many].sort_values("team_size")["mde"]
mde_more = curves.query("teams_per_arm == @more and team_size == @m")["mde"].iloc[0]
high_icc = toolkit.power(effect=target["effect"], team_size=m, icc=needed["icc"].max(), distribution="t")
high_icc = high_icc.iloc[0]
for_observed = toolkit.power(effect=max(abs(observed["g"]), 0.05), team_size=m, icc=icc1, distribution="t")
Markdown(
    f"- This quarter: ICC(1) of depth **{depth_icc['icc1']:.3f}**, **{team_size.mean():.1f}** respondents "
    f"per team, design effect {now_mde['design_effect']:.2f}; {inputs['teams with weekly 1:1s (policy)']} "
    f"teams meet weekly and {inputs['teams with monthly 1:1s (policy)']} monthly.\n"
    f"- With {now} teams per arm, the smallest effect detectable with {now_mde['power']:.0%} power is "
    f"**{now_mde['mde']:.2f} SD**; this quarter's adjusted weekly-vs-monthly effect on depth is "
    f"g = {observed['g']:+.2f}, which needs "
    f"**{int(for_observed['teams_needed'].iloc[0])} teams per arm**.\n"
    "- Teams needed per arm at this team size and ICC: "
    + ", ".join(f"{e:.1f} SD: {int(n)}" for e, n in zip(plan["effect"], plan["teams_needed"], strict=True))
    + ".\n"
    f"- If the ICC were {high_icc['icc']:.2f} rather than {icc1:.2f}, a {target['effect']:.2f} SD effect "
    f"would need {int(high_icc['teams_needed'])} teams per arm instead of {int(target['teams_needed'])}. "
    f"At {many} "
    f"teams per arm, {max(curves['team_size'])} instead of {m} respondents per team lowers the detectable "
    f"effect from {mde_many.iloc[0]:.2f} to {mde_many.iloc[-1]:.2f} SD, while {more} teams of {m} reach "
    f"{mde_more:.2f} SD: "
    + ("more teams help more than more respondents per team.\n" if mde_more < mde_many.iloc[-1]
       else "here more respondents per team help as much as more teams.\n")
    + f"- The simulation {'agrees with' if agrees else 'differs from'} the formula at "
    f"{int(target['teams_needed'])} teams per arm and "
    f"{target['effect']:.2f} SD: simulated power {check['power'].iloc[0]:.2f} "
    f"(Monte Carlo SE {check['mc_se'].iloc[0]:.2f}) against {check['exact_power'].iloc[0]:.2f} exact."
)
