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
# # 02 Psychometrics: does each construct measure something, and does a team's mean mean something?
#
# **Question.** Before comparing cadences or showing a manager their team's mean, are the
# constructs reliable (alpha, omega, item statistics, one-factor loadings), do teams differ
# (ICC(1)), is one team's mean reliable (ICC(2)), and do team members agree (r_wg(J))?
#
# Reads the store that notebook 01 fills. Conventional cut-offs are shown beside the numbers:
# 0.70 for alpha, omega, ICC(2) and r_wg(J); a loading of 0.40 and a corrected item-total
# correlation of 0.30 for an item.

# %%
import seaborn as sns
from IPython.display import Markdown

import toolkit
from toolkit import plots
from toolkit.stats.describe import team_mean_verdict
from toolkit.stats.measurement import CUTOFFS, item_summary
from toolkit.study import load_study

sns.set_theme(style="whitegrid")

# %% tags=["parameters"]
SURVEY = "../surveys/one_on_one_pulse.yaml"
STORE = "../out/notebooks/store"
WAVE = "2026Q4"

# %%
study = load_study(STORE, survey=SURVEY)
responses = study.wave_responses(WAVE)
print(f"wave {WAVE}: {len(responses)} stored responses in {responses['team'].nunique()} teams")

# %% [markdown]
# ## Reliability, team variance and agreement per construct

# %%
summary = toolkit.measurement_summary(responses, study.survey)
shown = ["label", "k", "n", "raw_alpha", "omega_total", "icc1", "icc2", "rwg_j_median", "share_rwg_j_70"]
summary.set_index("construct")[shown].round(2)

# %%
fig = plots.measurement_plot(summary, title=f"Measurement quality per construct, wave {WAVE}")

# %% [markdown]
# ## Items: a weak item shows as a low loading or item-total correlation
#
# `r_drop` is the corrected item-total correlation, `alpha_if_dropped` the construct's alpha
# without the item (as `psych::alpha`), `loading` the one-factor minres loading (as `psych::fa`).

# %%
items = item_summary(responses, study.survey)
items["weak"] = (items["r_drop"] < 0.30) | (items["loading"] < 0.40)
items.round(2)

# %%
fig = plots.loadings_plot(items, title=f"One-factor loadings of each item, wave {WAVE}")

# %% [markdown]
# ## How the constructs relate (Pearson correlations of the scores)

# %%
wave_scores = study.scores[study.scores["wave"] == WAVE]
correlations = toolkit.construct_correlations(wave_scores)
correlations.style.format("{:.2f}").background_gradient(cmap="RdBu_r", vmin=-1, vmax=1)

# %% [markdown]
# ## Is a team's mean meaningful?
#
# The verdict applies the conventional cut-offs in order: an unreliable scale first, then no
# differences between teams (ICC(1) at or below 0), then a team mean that is too noisy at
# this team size (ICC(2) below 0.70), then members who disagree (median r_wg(J) below 0.70).
# `respondents_needed` is the team size at which a mean would reach ICC(2) = 0.70
# (Spearman-Brown).

# %%
verdict = team_mean_verdict(summary)
verdict.set_index("construct").round(2)

# %% [markdown]
# ## Conclusions

# %%
team_size = responses.groupby("team").size()
weak = items.loc[items["weak"], "item"].tolist()
counts = verdict["verdict"].value_counts()
alpha_cut, icc2_cut = CUTOFFS["raw_alpha"], CUTOFFS["icc2"]
Markdown(
    f"- Coefficient alpha ranges from **{summary['raw_alpha'].min():.2f}** "
    f"({summary.loc[summary['raw_alpha'].idxmin(), 'label']}) to **{summary['raw_alpha'].max():.2f}**; "
    f"{int((summary['raw_alpha'] >= alpha_cut).sum())} of {len(summary)} constructs reach {alpha_cut:.2f}. "
    f"{len(weak)} of {len(items)} items look weak"
    + (f" ({', '.join(weak)})" if weak else "")
    + ".\n"
    f"- ICC(1) lies between **{summary['icc1'].min():.2f}** and **{summary['icc1'].max():.2f}** "
    f"({int((summary['icc1'] > 0).sum())} of {len(summary)} constructs above zero): people in a team "
    "resemble each other, so analyses must model the clustering in teams.\n"
    f"- But with a median of **{team_size.median():.0f} respondents per team**, ICC(2) lies between "
    f"**{summary['icc2'].min():.2f}** and **{summary['icc2'].max():.2f}**: one team's mean is "
    f"{'reliable' if summary['icc2'].min() >= icc2_cut else 'not reliable enough to rank teams'}. "
    f"A team would need about {int(verdict['respondents_needed'].median())} respondents for ICC(2) to "
    f"reach {icc2_cut:.2f}.\n"
    "- Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ". Compare groups of teams "
    "(cadences, divisions) and show each manager their mean with its uncertainty; do not rank single teams."
)
