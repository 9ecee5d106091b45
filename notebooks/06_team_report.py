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
# # 06 Team report: what one team's manager will see
#
# **Question.** What exactly does the manager of team `TEAM` see for wave `WAVE`, and what is
# held back to protect the team's reports?
#
# The report is built from the **release** only: the table of every number each audience may
# see, after disclosure control (a group smaller than the threshold is hidden, and so is any
# number from which a hidden group could be derived). A manager's audience is `manager:<team>`:
# their team, the units above it and the organisation. This notebook is parameterised: run it
# for another team with `TEAM`.

# %%
from html import escape

import seaborn as sns
from IPython.display import HTML, Markdown

import toolkit
from toolkit.report.manager import weakest_constructs
from toolkit.study import load_study

sns.set_theme(style="whitegrid")

# %% tags=["parameters"]
TEAM = "t01"
WAVE = "2026Q4"
SURVEY = "../surveys/one_on_one_pulse.yaml"
STORE = "../out/notebooks/store"
UNITS = "../data/sample/units.csv"
ROSTER = "../data/sample/roster.csv"
POLICY = None

# %%
study = load_study(STORE, survey=SURVEY, units=UNITS, roster=ROSTER)
audience = f"manager:{TEAM}"
released = study.release(POLICY, audiences=[audience])
print(f"{len(released)} numbers released to {audience} over waves {', '.join(study.waves)}")

# %% [markdown]
# ## The release rows of this manager, wave by wave
#
# How many numbers the manager may see, per unit and kind of measure.

# %%
measure = released["measure"].astype("str")
kind = measure.str.replace(r"^.*:share:.*$", "share", regex=True).str.split(":").str[-1]
released.assign(kind=kind).pivot_table(
    index=["wave", "unit"], columns="kind", values="value", aggfunc="size", fill_value=0, observed=True
)

# %% [markdown]
# The construct means of the current wave: the team beside the units above it (a missing team
# value is suppressed).

# %%
current = released[(released["wave"] == WAVE) & (released["cut"] == "all")]
means = current[current["measure"].astype("str").str.endswith(":mean")]
construct_means = means[means["measure"].astype("str").str.split(":").str[0].isin(list(study.labels))]
team_table = construct_means.pivot_table(index="measure", columns="unit", values="value", observed=True)
team_table

# %% [markdown]
# ## The report, as the manager receives it
#
# One self-contained HTML file, rendered from the rows above and nothing else.

# %%
report = toolkit.manager_report(released, study.survey, study.units, team=TEAM, wave=WAVE, policy=POLICY)
HTML(f'<div><iframe srcdoc="{escape(report)}" style="width: 100%; height: 1100px; border: 0"></iframe></div>')

# %% [markdown]
# ## Conclusions

# %%
team_rows = current[current["unit"] == TEAM]
responses = team_rows.loc[team_rows["measure"] == "responses", "value"]
mine = construct_means[construct_means["unit"] == TEAM]
weakest = weakest_constructs(
    dict(zip(mine["measure"].astype("str").str.split(":").str[0], mine["value"], strict=True)), study.survey
)
organisation = study.units.loc[study.units["kind"] == "organisation", "unit"].iloc[0]
Markdown(
    f"- The manager of **{TEAM}** may see **{len(released)} numbers** over {len(study.waves)} waves, "
    f"{len(current)} of them for {WAVE} (units: {', '.join(current['unit'].astype('str').unique())}).\n"
    + (
        f"- In {WAVE} the team's results are published: {int(responses.iloc[0])} responses, "
        f"{len(mine)} construct means. The constructs to talk about first: "
        + ", ".join(
            f"{study.labels[c]} ({team_table.loc[f'{c}:mean', TEAM]:.2f}, organisation "
            f"{team_table.loc[f'{c}:mean', organisation]:.2f})"
            for c in weakest
        )
        + ".\n"
        if len(mine)
        else f"- In {WAVE} the team's own results are **suppressed** (too few responses to protect "
        "anonymity); the report shows the units above it only.\n"
    )
    + f"- Everything in the report comes from these release rows: {len(team_rows)} numbers about the team "
    f"itself in this wave; the smallest group behind one of them has "
    f"{int(team_rows['n'].min()) if len(team_rows) else 0} respondents (the policy's threshold for "
    f"scores is {toolkit.load_policy(POLICY)['min_scores']})."
)
