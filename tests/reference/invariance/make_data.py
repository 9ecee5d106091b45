"""Build the sample data sets that ``reference.R`` (in this folder) fits with lavaan.

Run from the repository root with the project's Python:

    .venv/bin/python tests/reference/invariance/make_data.py

Writes into this folder:

* ``sample_2026Q1.csv`` -- the sample organisation's wave 2026Q1 (``data/sample/responses_2026Q1.csv``),
  the rows :func:`toolkit.validate` keeps (325), with ``respondent``, ``team``, ``cadence`` and the
  items of the constructs ``availability`` (4), ``depth`` (5) and ``informal_contact`` (3) as
  :func:`toolkit.item_block` scores them: code 9 ("does not apply") missing, reverse-keyed items
  (``avail_wait``, ``depth_repeats``) reversed as ``6 - x``. Missing answers are empty fields;
  lavaan leaves such rows out listwise, per model.
* ``edge_contact.csv`` -- an edge case: ``informal_contact`` (3 items, so a one-factor configural
  model is just identified, df 0) for every weekly respondent of 2026Q1 (79) and only the first 30
  monthly respondents in file order: two groups of very unequal size.

``HolzingerSwineford1939.csv`` is written by ``reference.R`` itself, from lavaan's own data set.

Floats are integers 1..5 here, so R and pandas read back exactly the same numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from toolkit import item_block, load_survey, read_canonical, validate  # noqa: E402

CONSTRUCTS = ("availability", "depth", "informal_contact")


def main() -> None:
    survey = load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    valid = validate(read_canonical(ROOT / "data" / "sample" / "responses_2026Q1.csv"), survey).valid
    blocks = [item_block(valid, survey, c).astype("Int64") for c in CONSTRUCTS]
    out = pd.concat(
        [valid[["respondent", "team"]], valid["cadence"].astype("str").rename("cadence"), *blocks], axis=1
    )
    out.to_csv(HERE / "sample_2026Q1.csv", index=False)

    contact = list(survey.constructs["informal_contact"].items)
    weekly = out[out["cadence"] == "weekly"]
    monthly = out[out["cadence"] == "monthly"].head(30)
    edge = pd.concat([weekly, monthly])[["respondent", "cadence", *contact]]
    edge.to_csv(HERE / "edge_contact.csv", index=False)
    print(
        f"sample_2026Q1.csv: {len(out)} rows; edge_contact.csv: {len(weekly)} weekly + {len(monthly)} monthly"
    )


if __name__ == "__main__":
    main()
