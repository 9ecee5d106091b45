"""Small Markdown helpers shared by the generated documents (codebook, reports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["md_table"]


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table as a list of lines; ``|`` in cells is escaped.

    >>> md_table(["a", "b"], [[1, "x|y"]])
    ['| a | b |', '|---|---|', '| 1 | x\\\\|y |']
    """
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")
