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

* ``synthetic.csv`` -- drawn with numpy (seed 2026) from normal distributions, three groups ``u``
  (150 rows), ``v`` (110), ``w`` (70) in column ``grp``, 2 more rows whose group is missing (written
  ``NA``), and two blocks of items: ``a``, ``b``, ``c``, ``d`` (two correlated factors of 2 items each)
  and ``x``, ``y``, ``z`` (correlations 0.85, 0.85 and 0.55, so a one-factor model has a negative
  residual variance for ``x``: an improper solution, a Heywood case). 6 answers are set missing.

* ``weak_marker.csv`` -- drawn with numpy (seed 10): groups ``u`` (90) and ``v`` (120), items ``w0`` to
  ``w4`` on one factor and ``w5`` to ``w9`` on another, where the second factor's marker ``w5`` barely
  loads (0.25 in ``u``, -0.25 in ``v``). With its loading fixed to 1 the other loadings of that factor
  must be large and the factor's variance tiny: a likelihood with long, flat ridges, which tests the
  starting values and the convergence rule (lavaan converges at every level for this seed).

``HolzingerSwineford1939.csv`` is written by ``reference.R`` itself, from lavaan's own data set.

The sample's answers are integers 1..5; the synthetic numbers are written with 17 significant
digits, so R and pandas read back exactly the same doubles.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
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

    synthetic().to_csv(HERE / "synthetic.csv", index=False, na_rep="NA", float_format="%.17g")
    weak_marker().to_csv(HERE / "weak_marker.csv", index=False, float_format="%.17g")


def synthetic() -> pd.DataFrame:
    rng = np.random.default_rng(2026)
    two = np.array([[1, 0.6, 0.3, 0.3], [0.6, 1, 0.3, 0.3], [0.3, 0.3, 1, 0.5], [0.3, 0.3, 0.5, 1]])
    heywood = np.array([[1, 0.85, 0.85], [0.85, 1, 0.55], [0.85, 0.55, 1]])
    parts = []
    for k, (grp, n) in enumerate((("u", 150), ("v", 110), ("w", 70))):
        block = np.hstack(
            [
                rng.multivariate_normal(np.full(4, 0.2 * k), two * (1 + 0.2 * k), size=n),
                rng.multivariate_normal(np.zeros(3), heywood, size=n),
            ]
        )
        parts.append(pd.DataFrame(block, columns=list("abcdxyz")).assign(grp=grp))
    out = pd.concat(parts, ignore_index=True)[["grp", *"abcdxyz"]]
    out = pd.concat([out, out.iloc[[0, 200]].assign(grp=None)], ignore_index=True)  # 2 rows without a group
    for row, col in ((3, "a"), (40, "d"), (160, "b"), (250, "x"), (251, "z"), (300, "c")):
        out.loc[row, col] = np.nan
    return out


def weak_marker() -> pd.DataFrame:
    rng = np.random.default_rng(10)
    names = [f"w{i}" for i in range(10)]
    parts = []
    for grp, n, sign in (("u", 90, 1.0), ("v", 120, -1.0)):
        eta = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
        first = np.array([0.8, 0.7, 0.9, 0.6, 0.7])
        second = np.array([0.25 * sign, 0.8, 0.7, 0.9, 0.6])
        x = np.hstack([np.outer(eta[:, 0], first), np.outer(eta[:, 1], second)])
        x += rng.normal(size=(n, 10)) * 0.8
        parts.append(pd.DataFrame(x, columns=names).assign(grp=grp))
    return pd.concat(parts, ignore_index=True)[["grp", *names]]


if __name__ == "__main__":
    main()
