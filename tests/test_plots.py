"""Figures: labelled, titled, and refusing tables they cannot draw."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.plots import forest_plot


def _results():
    return pd.DataFrame(
        {
            "outcome": ["depth", "depth", "trust"],
            "contrast": "weekly - monthly",
            "method": ["lmm", "ols_cluster", "lmm"],
            "estimate": [0.24, 0.22, 0.05],
            "ci_low": [0.1, 0.05, -0.05],
            "ci_high": [0.38, 0.39, 0.15],
            "g": [0.27, 0.25, 0.06],
            "g_ci_low": [0.1, 0.05, -0.06],
            "g_ci_high": [0.44, 0.45, 0.17],
        }
    )


def test_forest_plot_has_a_row_per_label_a_title_axes_and_a_legend():
    fig = forest_plot(_results())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "depth: weekly - monthly",
        "trust: weekly - monthly",
    ]
    assert ax.get_title() == "Cadence contrasts with 95% intervals"
    assert ax.get_xlabel() == "difference in score points"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lmm", "ols_cluster"]
    g = forest_plot(_results(), estimate="g", xlabel="Hedges' g")
    assert g.axes[0].get_xlabel() == "Hedges' g"


def test_forest_plot_errors():
    with pytest.raises(ValueError, match=r"results lack the columns \['ci_low'\]"):
        forest_plot(_results().drop(columns="ci_low"))
    with pytest.raises(ValueError, match="results is empty"):
        forest_plot(_results().iloc[:0])
