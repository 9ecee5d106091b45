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
# # 01 Validate and clean: what came in, what was held back, and why
#
# **Question.** Of the responses the survey platform exported this quarter, which can be analysed,
# which were held back, and for what reasons? Every row read must end up either stored or in the
# quarantine with its reasons: nothing is dropped silently.
#
# This notebook ingests the platform exports of every wave up to the current one into the wave
# store (read, pseudonymise, validate, flag careless responses, quarantine, store). Ingesting an
# export that is already stored changes nothing, so it is safe to run again. The other notebooks
# read the store it fills: **run this one first**.

# %%
import seaborn as sns
from IPython.display import Markdown

import toolkit
from toolkit import ingest_exports, plots, study_key
from toolkit.ingest.careless import default_max_longstring
from toolkit.stats.describe import ingest_summary, quarantine_reasons, screening

sns.set_theme(style="whitegrid")

# %% [markdown]
# ## Parameters
#
# Paths are relative to `notebooks/`; `oneonone run` injects absolute ones. `KEY` names the
# pseudonym key without containing it: `None` is the public key of the synthetic sample, which
# the ingest accepts for the sample's own files only (on any other data it stops and asks for a
# key); `"env"` is the secret in the environment variable `ONEONONE_KEY`, anything else a key
# file. The sample has a Qualtrics and a Google Forms export of each wave (the same responses in
# two layouts); `FORMAT` picks one.
#
# An anonymous survey (no sign-in, no employee id) is ingested with `ANONYMOUS = True` and
# `TEAM_COLUMN` the column that holds the team: no key, the roster only for headcounts, `UNITS`
# for the known teams. `WAVES_TABLE`, `ALLOW_OUTSIDE_WINDOW` and `NEW_KEY` are the ingest's
# `--waves-table`, `--allow-outside-window` and `--new-key`.

# %% tags=["parameters"]
SURVEY = "../surveys/one_on_one_pulse.yaml"
EXPORTS = "../data/sample/exports"
ROSTER = "../data/sample/roster.csv"
STORE = "../out/notebooks/store"
WAVE = "2026Q4"
FORMAT = "qualtrics"
KEY = None
ANONYMOUS = False
TEAM_COLUMN = None
UNITS = None
WAVES_TABLE = None
ALLOW_OUTSIDE_WINDOW = False
NEW_KEY = False

# %% [markdown]
# ## Ingest every wave up to the current one

# %%
survey = toolkit.load_survey(SURVEY)
results = ingest_exports(
    EXPORTS, survey=survey, roster=ROSTER, store=STORE, key=None if ANONYMOUS else study_key(KEY),
    format=FORMAT, up_to=WAVE, anonymous=ANONYMOUS, team_column=TEAM_COLUMN, units=UNITS,
    waves_table=WAVES_TABLE, allow_outside_window=ALLOW_OUTSIDE_WINDOW, new_key=NEW_KEY,
)  # fmt: skip
ingested = ingest_summary(results)
ingested

# %% [markdown]
# `status` is `written` for a wave stored now and `unchanged` for one stored before from the same
# export. `balanced` checks the accounting: rows read = rows stored + rows quarantined.

# %% [markdown]
# ## The validation report: why rows were quarantined
#
# Read back from the store, so it is the same whether a wave was ingested now or before. A row
# counts once under each rule it fails.

# %%
reasons = quarantine_reasons(STORE, waves=list(ingested["wave"]))
reasons.set_index(["rule", "column", "wave"])["n_rows"].unstack("wave", fill_value=0)

# %%
fig = plots.quarantine_plot(reasons, title=f"Rows quarantined per wave, up to {WAVE}")

# %% [markdown]
# ## Careless responses
#
# Speeders (under 2 seconds per answered item), straight-liners (the same answer to more
# consecutive items than a consistent respondent can give, given the reverse-keyed items),
# failed attention checks and superseded duplicate submissions are quarantined with the other
# failures. Below, the indices of every row read, stored and quarantined, against the cut-offs.

# %%
longest = default_max_longstring(survey)
rows = screening(STORE, survey, waves=list(ingested["wave"]), max_longstring=longest)
flags = ["speeder", "straight_liner", "attention_failure", "duplicate"]
flag_counts = rows.groupby(["wave", "status"])[flags].sum()
flag_counts

# %%
fig = plots.careless_plot(rows, max_longstring=longest)

# %% [markdown]
# ## Conclusions
#
# Written from the numbers above, so they cannot go stale.

# %%
current = ingested.set_index("wave").loc[WAVE]
held = reasons[reasons["wave"] == WAVE].groupby("rule")["n_rows"].sum().sort_values(ascending=False)
careless_now = flag_counts.loc[WAVE].sum()
Markdown(
    f"- **{len(ingested)} waves** are in the store ({', '.join(ingested['wave'])}); every wave balances "
    f"(rows read = stored + quarantined): **{bool(ingested['balanced'].all())}**.\n"
    + ("- **Anonymous survey**: every response has a random id that links nobody across waves, so "
       "analyses that follow the same people from wave to wave are not available; those of teams are.\n"
       if ANONYMOUS else "")
    + f"- In the current wave {WAVE}, **{current['rows_read']} rows** were read: {current['rows_stored']} "
    f"stored and {current['rows_quarantined']} quarantined "
    f"({current['rows_quarantined'] / current['rows_read']:.1%}).\n"
    f"- The quarantine's reasons in {WAVE}: "
    + ", ".join(f"{rule.replace('_', ' ')} {n}" for rule, n in held.items())
    + ".\n"
    f"- Careless-response flags in {WAVE}: {int(careless_now['speeder'])} speeders, "
    f"{int(careless_now['straight_liner'])} straight-liners (longstring over {longest}), "
    f"{int(careless_now['attention_failure'])} failed attention checks and "
    f"{int(careless_now['duplicate'])} superseded duplicates"
    + (" (an anonymous survey cannot tell a duplicate from another respondent)" if ANONYMOUS else "")
    + "; "
    f"{int(flag_counts.xs('stored', level='status')[flags].to_numpy().sum())} flags remain among "
    "stored rows, so every flagged row is held back."
)
