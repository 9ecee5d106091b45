"""Every audience's rows of the release (private to :mod:`toolkit.privacy.disclosure`).

The analyst sees every unit; a manager their team and the units above it; a leader their unit and
the units below it. Each audience's rows are the analyst's rows of those units, so a safe release
for the analyst is safe for every audience and every group of them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from toolkit.units import Units


def _audiences(rows: pd.DataFrame, tree: Units, cells, keep: Iterable[str] | None) -> pd.DataFrame:
    """Every audience's rows: the analyst's rows of the units it may see."""
    unit, wave, cut, measure = (rows[c].to_numpy() for c in ("unit", "wave", "cut", "measure"))
    order = np.lexsort((measure, cut, wave, unit))
    unit = unit[order]
    U = tree.size
    start = np.searchsorted(unit, np.arange(U), side="left")
    end = np.searchsorted(unit, np.arange(U), side="right")
    teams = np.flatnonzero(tree.kinds == "team")
    heads = np.flatnonzero(tree.kinds != "team")
    names = [
        "analyst",
        *(f"manager:{tree.names[t]}" for t in teams),
        *(f"leader:{tree.names[h]}" for h in heads),
    ]
    aud_of_team = np.full(U, -1)
    aud_of_team[teams] = 1 + np.arange(len(teams))
    aud_of_head = np.full(U, -1)
    aud_of_head[heads] = 1 + len(teams) + np.arange(len(heads))
    path = tree.path
    # analyst: every unit
    pa, pu = [np.zeros(U, np.int64)], [np.arange(U)]
    # managers: their team's path from the root
    tp = path[teams]
    r, j = np.nonzero(tp >= 0)
    pa.append(aud_of_team[teams[r]])
    pu.append(tp[r, j])
    # leaders: every unit below (and including) their unit
    r, j = np.nonzero(path >= 0)
    anc = path[r, j]
    head = aud_of_head[anc] >= 0
    pa.append(aud_of_head[anc[head]])
    pu.append(r[head])
    pa, pu = np.concatenate(pa), np.concatenate(pu)
    if keep is not None:
        keep = [keep] if isinstance(keep, str) else list(keep)
        code = {a: i for i, a in enumerate(names)}
        bad = [a for a in keep if a not in code]
        if bad:
            raise ValueError(
                f"audiences must be analyst, manager:<team> or leader:<unit> of units; got {bad[:5]}"
            )
        wanted = np.zeros(len(names), bool)
        wanted[[code[a] for a in keep]] = True
        sel = wanted[pa]
        pa, pu = pa[sel], pu[sel]
    o = np.lexsort((pu, pa))
    pa, pu = pa[o], pu[o]
    lengths = end[pu] - start[pu]
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    idx = order[np.repeat(start[pu] - offsets, lengths) + np.arange(total)]
    return pd.DataFrame(
        {
            "audience": pd.Categorical.from_codes(np.repeat(pa, lengths), categories=names),
            "wave": pd.Categorical.from_codes(wave[idx], categories=list(cells.waves)),
            "unit": pd.Categorical.from_codes(rows["unit"].to_numpy()[idx], categories=list(tree.names)),
            "cut": pd.Categorical.from_codes(cut[idx], categories=cells.cut_names),
            "measure": pd.Categorical.from_codes(measure[idx], categories=cells.measures),
            "value": rows["value"].to_numpy()[idx],
            "n": rows["n"].to_numpy()[idx],
        }
    )
