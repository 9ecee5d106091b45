"""Shared pieces of the reports: templates, number formats as the release shows them, units."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

__all__ = ["environment", "fmt_change", "fmt_mean", "fmt_pct", "wave_before"]


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
