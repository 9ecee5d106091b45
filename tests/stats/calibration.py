"""Shared by the slow calibration tests: score depth with numpy (the fixture ``fast_simulate`` that
simulates many organisations quickly is in ``tests/conftest.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The simulator's careless-response flags: those rows are quarantined at ingest, so left out here.
FLAGS = ["speeder", "straight_liner", "attention_failure", "is_duplicate", "has_duplicate"]


def depth_scores(org, survey, wave: str) -> pd.DataFrame:
    """``team``, ``cadence`` and ``depth`` of every attentive respondent of ``wave``: the depth score as
    :func:`toolkit.score` computes it (not-applicable codes missing, reverse keying, the construct's
    minimum of valid items), in numpy, since validating every simulated organisation would dominate."""
    df, latent = org.responses[wave], org.latent[wave]
    spec = survey.constructs["depth"]
    cols = []
    for item in spec.items:
        scale = survey.scale_of(item)
        x = df[item].to_numpy(dtype=float, na_value=np.nan)
        x[np.isin(x, list(scale.na_codes))] = np.nan
        if survey.item(item).reverse:
            x = min(scale.codes) + max(scale.codes) - x
        cols.append(x)
    m = np.column_stack(cols)
    valid = ~np.isnan(m)
    n_valid = valid.sum(axis=1)
    score = np.where(
        n_valid >= spec.min_valid, np.where(valid, m, 0).sum(axis=1) / np.maximum(n_valid, 1), np.nan
    )
    out = pd.DataFrame(
        {
            "team": df["team"].astype("str").to_numpy(),
            "cadence": df["cadence"].astype("str").to_numpy(),
            "depth": score,
        }
    )
    return out[~latent[FLAGS].any(axis=1).to_numpy()]
