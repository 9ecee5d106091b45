"""Shared pieces of the reports: templates, number formats as the release shows them, units."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

__all__ = [
    "BANDS",
    "BAND_TEXT",
    "band",
    "better_text",
    "contrast_sentence",
    "environment",
    "favourable_end",
    "fmt_change",
    "fmt_mean",
    "fmt_pct",
    "fmt_signed",
    "higher_is_better",
    "scale_range",
    "wave_before",
]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment of the report templates (autoescaping on, created on first use)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )


def fmt_mean(value: float, decimals: int) -> str:
    """A mean as the release shows it: ``decimals`` places.

    Examples
    --------
    >>> fmt_mean(3.4, 2)
    '3.40'
    """
    return f"{value:.{decimals}f}"


def fmt_pct(value: float, decimals: int) -> str:
    """A percentage (0 to 100) as the release shows it, with a ``%`` sign.

    Examples
    --------
    >>> fmt_pct(67.0, 0)
    '67%'
    """
    return f"{value:.{decimals}f}%"


def fmt_change(value: float, decimals: int) -> str:
    """A change with its sign and its direction in words (colour is never the only cue).

    Examples
    --------
    >>> fmt_change(0.12, 2), fmt_change(-0.3, 2), fmt_change(0.0, 2)
    ('+0.12 (up)', '-0.30 (down)', '0.00 (no change)')
    """
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return f"{text} (no change)"
    return f"+{text} (up)" if value > 0 else f"-{text} (down)"


def fmt_signed(value: float, decimals: int) -> str:
    """A signed number: "+" or "-" (as the change column writes it) and ``decimals`` places.

    Examples
    --------
    >>> fmt_signed(0.205, 2), fmt_signed(-0.19, 2), fmt_signed(0.0, 2)
    ('+0.20', '-0.19', '0.00')
    """
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if value > 0 else f"-{text}"


def higher_is_better(survey, construct: str) -> bool:
    """Which end of the scale is good for ``construct``: the survey's ``better:`` (default higher)."""
    con = survey.constructs.get(construct)
    return True if con is None else bool(con.higher_is_better)


def better_text(survey, construct: str) -> str:
    """``"higher is better"`` or ``"lower is better"``, from the survey."""
    return "higher is better" if higher_is_better(survey, construct) else "lower is better"


def scale_range(survey, construct: str) -> tuple[float, float]:
    """The lowest and highest scored code of the construct's scale (1 to 5 when unknown)."""
    con = survey.constructs.get(construct)
    if con is None:
        return 1.0, 5.0
    codes = [c for c in survey.scale_of(con.items[0]).codes if isinstance(c, (int, float))]
    return (float(min(codes)), float(max(codes))) if codes else (1.0, 5.0)


def favourable_end(survey, construct: str) -> str | None:
    """The answers that ``<construct>:favourable`` counts, in words: the scale's favourable codes,
    mirrored for a construct where lower is better (after reverse keying, as the score).

    Examples
    --------
    >>> import toolkit
    >>> s = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> favourable_end(s, "depth"), favourable_end(s, "holding_back")
    ('agree or strongly agree', 'disagree or strongly disagree')
    """
    con = survey.constructs.get(construct)
    if con is None:
        return None
    scale = survey.scale_of(con.items[0])
    if not scale.favourable:
        return None
    lo, hi = scale_range(survey, construct)
    codes = scale.favourable if con.higher_is_better else tuple(int(lo + hi - c) for c in scale.favourable)
    labels = [scale.label_of(c).lower() for c in sorted(codes)]
    if not con.higher_is_better:
        labels = labels[::-1]  # the stronger answer last, as in "agree or strongly agree"
    return " or ".join(labels)


def contrast_sentence(construct_label: str, value: float, low: float, high: float, decimals: int) -> str:
    """The adjusted weekly-vs-monthly difference in one plain sentence, saying what its interval
    allows (the numbers as the release shows them).

    Examples
    --------
    >>> contrast_sentence("Depth", 0.21, -0.19, 0.61, 2)[:60]
    'Depth: people who report weekly 1:1s score +0.21 against mon'
    """
    f = lambda x: fmt_signed(x, decimals)  # noqa: E731
    head = (
        f"{construct_label}: people who report weekly 1:1s score {f(value)} against monthly "
        f"(95% interval {f(low)} to {f(high)}), adjusted for division and team size."
    )
    if low > 0:
        return head + " The interval is above zero: weekly 1:1s go with a higher score."
    if high < 0:
        return head + " The interval is below zero: weekly 1:1s go with a lower score."
    return head + " The interval includes zero: the data do not show a difference either way."


#: Colour bands of the heatmaps (organisation and unit reports): the direction-adjusted mean as a
#: share of its scale, from its lowest to its highest point, where each band starts; ``h0`` worst
#: to ``h4`` best.
BANDS = (0.375, 0.5, 0.625, 0.75)
BAND_TEXT = ("weakest", "weak", "middle", "strong", "strongest")


def band(value: float, lo: float, hi: float, higher: bool) -> int:
    """The colour band (0 weakest to 4 strongest) of a mean on the scale ``lo`` to ``hi``.

    Examples
    --------
    >>> band(4.2, 1, 5, True), band(4.2, 1, 5, False), band(3.0, 1, 5, True)
    (4, 0, 2)
    """
    good = (value - lo) / (hi - lo) if higher else (hi - value) / (hi - lo)
    return sum(good >= x for x in BANDS)


def wave_before(release: pd.DataFrame, wave: str) -> str | None:
    """The wave before ``wave`` among the release's waves (categories, or sorted labels)."""
    col = release["wave"]
    waves = (
        [str(w) for w in col.cat.categories]
        if isinstance(col.dtype, pd.CategoricalDtype)
        else sorted({str(w) for w in pd.unique(col)})
    )
    if wave not in waves:
        raise ValueError(f"wave {wave!r} is not in the release; it has {waves}")
    i = waves.index(wave)
    return waves[i - 1] if i > 0 else None


def codes_and_labels(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes and their labels of a (categorical or plain) column, without copying strings."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(), [str(c) for c in col.cat.categories]
    cat = pd.Categorical(col.astype("str"))
    return cat.codes, [str(c) for c in cat.categories]
