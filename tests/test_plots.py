"""Figures: labelled, titled, and refusing tables they cannot draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from toolkit import plots
from toolkit.plots import forest_plot
from toolkit.stats.power import power


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


def test_forest_plot_reference_line():
    fig = forest_plot(_results().iloc[:1], hue=None, reference=0.237)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["true effect (0.24)"]


def test_forest_plot_errors():
    with pytest.raises(ValueError, match=r"results lack the columns \['ci_low'\]"):
        forest_plot(_results().drop(columns="ci_low"))
    with pytest.raises(ValueError, match="results is empty"):
        forest_plot(_results().iloc[:0])


# --------------------------------------------------------------------------- the notebooks' figures

@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(fig) -> None:
    """Every axes has a title (or the figure one), both axis labels, and no code-like tick labels."""
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_title() or (fig._suptitle is not None and fig._suptitle.get_text())
        assert ax.get_xlabel() and ax.get_ylabel(), (ax.get_xlabel(), ax.get_ylabel())
        for tick in [*ax.get_yticklabels(), *ax.get_xticklabels()]:
            assert "less_than" not in tick.get_text()


def _means(by=("cadence",)):
    rows = []
    for wave in ("2026Q1", "2026Q2"):
        for construct in ("depth", "holding_back"):
            for i, cadence in enumerate(["weekly", "monthly", "less_than_monthly"]):
                m = 3.0 + 0.2 * i
                rows.append({"wave": wave, "construct": construct, "cadence": cadence, "mean": m,
                             "ci_low": m - 0.2, "ci_high": m + 0.2, "n": 20})  # fmt: skip
    table = pd.DataFrame(rows)
    return table if "wave" in by else table[table["wave"] == "2026Q1"].drop(columns="wave")


def test_cadence_plot_one_panel_per_construct_in_cadence_order():
    fig = plots.cadence_plot(_means(), labels={"depth": "1:1 depth"})
    _labelled(fig)
    assert [ax.get_title() for ax in fig.axes] == ["1:1 depth", "holding back"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["weekly", "monthly", "less than monthly"]
    assert fig._suptitle.get_text().startswith("Mean scores by reported 1:1 cadence")


def test_trend_plot_a_line_per_cadence_over_waves():
    fig = plots.trend_plot(_means(by=("wave", "cadence")), construct="depth", label="1:1 depth")
    _labelled(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1", "2026Q2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["weekly", "monthly", "less than monthly"]
    assert ax.get_ylabel() == "mean 1:1 depth score"
    with pytest.raises(ValueError, match="means has no row of construct 'trust'"):
        plots.trend_plot(_means(by=("wave", "cadence")), construct="trust")


def test_distribution_plot():
    scores = pd.DataFrame({"construct": "depth", "cadence": ["weekly", "less_than_monthly"] * 5,
                           "score": np.linspace(1, 5, 10)})  # fmt: skip
    fig = plots.distribution_plot(scores, construct="depth")
    _labelled(fig)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["weekly", "less than monthly"]
    with pytest.raises(ValueError, match="scores has no score of construct 'trust'"):
        plots.distribution_plot(scores, construct="trust")


def test_event_study_plot_marks_the_base_wave_and_the_truth():
    es = pd.DataFrame({"aggregate": ["event_time"] * 4 + ["overall_post"], "direction": "pooled",
                       "e": [-3, -2, 0, 1, None], "estimate": [0.0, 0.05, 0.3, 0.25, 0.28],
                       "ci_low": [-0.2, -0.1, 0.2, 0.1, 0.1], "ci_high": [0.2, 0.2, 0.4, 0.4, 0.4],
                       "n": [2, 4, 6, 4, 10]})  # fmt: skip
    fig = plots.event_study_plot(es, truth=0.24)
    _labelled(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-3", "-2", "-1", "0", "1"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "true effect 0.24" in legend and "base wave (e = -1)" in legend
    with pytest.raises(ValueError, match="no event_time rows for direction 'on'"):
        plots.event_study_plot(es, direction="on")


def test_power_curve_plot_names_the_axes():
    grid = power(teams_per_arm=[10, 20, 40], team_size=[5, 10], icc=0.1)
    fig = plots.power_curve_plot(grid, effect=0.3, effect_label="the effect")
    _labelled(fig)
    ax = fig.axes[0]
    assert ax.get_legend().get_title().get_text() == "respondents per team"
    assert "the effect (0.30)" in [t.get_text() for t in ax.get_legend().get_texts()]
    needed = power(effect=[0.2, 0.3], team_size=8, icc=[0.05, 0.2])
    fig = plots.power_curve_plot(needed, x="effect", y="teams_needed", hue="icc")
    labels = (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel())
    assert labels == ("effect (SD units)", "teams needed per arm")


def test_measurement_and_loadings_plots():
    summary = pd.DataFrame({"construct": ["depth", "trust"], "label": ["1:1 depth", "Trust"],
                            "raw_alpha": [0.86, 0.8], "omega_total": [0.87, 0.81], "icc2": [0.4, 0.5],
                            "rwg_j_median": [0.8, 0.75]})  # fmt: skip
    fig = plots.measurement_plot(summary)
    _labelled(fig)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "alpha", "omega", "ICC(2)", "median r_wg(J)",
    ]  # fmt: skip
    items = pd.DataFrame({"construct": ["depth", "depth", "trust"], "item": ["d1", "d2", "t1"],
                          "loading": [0.8, 0.3, np.nan]})  # fmt: skip
    fig = plots.loadings_plot(items)
    _labelled(fig)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["d1", "d2", "t1"]


def test_quarantine_and_careless_plots():
    reasons = pd.DataFrame({"wave": ["2026Q1", "2026Q1", "2026Q2"],
                            "rule": ["straight_liner", "speeder", "speeder"],
                            "column": ["q1", "duration_s", "duration_s"], "n_rows": [2, 5, 3]})  # fmt: skip
    fig = plots.quarantine_plot(reasons)
    _labelled(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["speeder (duration_s)", "straight liner (q1)"]
    rows = pd.DataFrame({"status": ["stored"] * 3 + ["quarantined"],
                         "seconds_per_item": [5.0, 8.0, None, 0.5], "longstring": [2, 3, 0, 30]})  # fmt: skip
    fig = plots.careless_plot(rows, max_longstring=16)
    _labelled(fig)
    assert fig.axes[1].get_title() == "Straight-lining (straight-liners: over 16)"


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (plots.cadence_plot, {}),
        (plots.trend_plot, {"construct": "depth"}),
        (plots.event_study_plot, {}),
        (plots.power_curve_plot, {}),
        (plots.measurement_plot, {}),
        (plots.loadings_plot, {}),
        (plots.quarantine_plot, {}),
        (plots.careless_plot, {}),
        (plots.distribution_plot, {"construct": "depth"}),
    ],
)
def test_figures_refuse_tables_they_cannot_draw(function, kwargs):
    with pytest.raises(ValueError, match=r"lacks the columns \["):
        function(pd.DataFrame({"x": [1]}), **kwargs)
    with pytest.raises(TypeError, match="must be a DataFrame"):
        function([1, 2], **kwargs)
