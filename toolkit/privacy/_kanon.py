"""k-anonymity for research extracts: global generalisation, then local suppression.

The engine behind :func:`toolkit.privacy.extract.research_extract`. It works on integer codes, one
array per quasi-identifier (QI), and guarantees, per wave, that every combination of the QI
values (a missing value counts as a value of its own) is held by at least ``k`` rows.

The procedure, deterministic given the data and ``rng``:

1. *Unit floor.* A unit (a division, say) with fewer than ``k`` rows in some wave can hold no
   group of ``k``: it is replaced by its parent unit in every wave.
2. *Generalisation.* Each QI gets one recoding for all waves (a respondent's categories mean the
   same in every wave): the units move up the hierarchy by the same number of levels (0, 1, ...
   up to the root), and each demographic item's answer categories are split into bands of
   neighbours, in the order the survey lists them (so a merged band stays interpretable:
   tenure ``1_to_3y|over_3y``); not-applicable codes are never merged. Of all these
   combinations the one with the least *information loss* wins, where a row loses, per QI,
   ``(levels moved up) / (levels to the root)`` for the unit, ``(band size - 1) / (categories -
   1)`` for a demographic, and :data:`SUPPRESSION_WEIGHT` for a suppressed value. The loss is
   first estimated for every combination (a respondent with a row in a group smaller than ``k``
   loses every QI value in every wave); the :data:`REFINE` best are then carried through step 3
   and the one with the least actual loss wins (ties: the less generalised, in a fixed order).
   When there are more than :data:`MAX_NODES` combinations, a greedy descent takes one step (a
   unit level, or one merge of two neighbouring bands) at a time while the estimate falls.
3. *Local suppression.* Rows still in small groups lose QI values, one column at a time (the
   column that leaves the fewest rows in small groups first): a demographic or team value
   becomes missing, a unit becomes the root of the hierarchy. A value suppressed in one wave is
   suppressed in every wave of the same respondent, so the panel cannot undo it. When the
   fully suppressed group of a wave is itself smaller than ``k``, rows of the groups with rows
   to spare join it (chosen with ``rng``). A wave with fewer than ``k`` rows in all is dropped.

Checked against a recomputation with plain pandas in ``tests/test_extract.py``: every group of
QI values, per wave, holds at least ``k`` rows.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MAX_NODES", "REFINE", "SUPPRESSION_WEIGHT", "Generaliser", "QuasiIdentifier"]

#: Largest number of generalisation combinations searched exhaustively.
MAX_NODES = 4096
#: How many of the best recodings (by estimated loss) are carried through local suppression.
REFINE = 8
#: A suppressed value costs this many times a fully generalised one: suppression hits the rare
#: combinations, so its missing values are not missing at random.
SUPPRESSION_WEIGHT = 2.0


@dataclass
class QuasiIdentifier:
    """One QI column.

    ``kind`` is ``"unit"`` (values are units of ``parent``; generalised up the tree, suppressed to
    ``root``), ``"category"`` (values index ``categories``; the first ``mergeable`` of them may be
    banded with their neighbours; suppressed to missing) or ``"fixed"`` (a kept team id: only
    suppressed to missing). ``values`` holds the original values: strings for units and fixed
    columns (``None`` when missing), category indices (``-1`` when missing) for categories.
    """

    column: str
    kind: str
    values: np.ndarray
    categories: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    mergeable: int = 0
    parent: dict[str, str | None] = field(default_factory=dict)
    root: str | None = None


class Generaliser:
    """Runs the procedure of this module; read the results from its attributes.

    After :meth:`run`: :meth:`values` gives each QI column's final values, :attr:`groups` the
    category bands, :attr:`dropped` the dropped rows, :attr:`suppressed` the suppressed values
    and :attr:`actions` the report rows (step, column, wave, from, to, rows_affected, reason).
    """

    def __init__(self, wave, person, qis: list[QuasiIdentifier], *, k: int, rng: np.random.Generator):
        wave = np.asarray(wave, dtype=object).astype(str)
        self.wave_names, self.wave = np.unique(wave, return_inverse=True)
        self.person = np.unique(np.asarray(person, dtype=object).astype(str), return_inverse=True)[1]
        self.qis, self.k, self.rng = qis, k, rng
        self.n_persons = int(self.person.max(initial=-1)) + 1
        self.n = len(self.wave)
        # a kept team id already tells the unit: moving units up would hide nothing
        self.moves = not any(q.kind == "fixed" for q in qis)
        self.orig: dict[str, np.ndarray] = {}
        self.units: dict[str, dict] = {}
        for q in qis:
            if q.kind == "category":
                self.orig[q.column] = np.asarray(q.values, dtype=np.int64)
            elif q.kind == "unit":
                self._index_units(q)
            else:
                text = np.array(["" if v is None else str(v) for v in q.values])
                codes = np.unique(text, return_inverse=True)[1]
                codes = codes.astype(np.int64)
                codes[np.array([v is None for v in q.values], dtype=bool)] = -1
                self.orig[q.column] = codes
        self.groups = {q.column: [[i] for i in range(len(q.categories))] for q in qis if q.kind == "category"}
        self.suppressed = {q.column: np.zeros(self.n, dtype=bool) for q in qis}
        self.dropped = np.zeros(self.n, dtype=bool)
        self.actions: list[dict] = []
        self._counts: dict[tuple, int] = defaultdict(int)

    def _index_units(self, q: QuasiIdentifier) -> None:
        names = sorted(set(q.values) | {q.root})
        todo = list(names)
        while todo:  # add every ancestor
            p = q.parent.get(todo.pop())
            if p is not None and p not in names:
                names.append(p)
                todo.append(p)
        index = {u: i for i, u in enumerate(names)}
        parent = np.array([index.get(q.parent.get(u) or q.root) for u in names], dtype=np.int64)
        root = index[q.root]
        parent[root] = root
        depth = np.zeros(len(names), dtype=np.int64)
        for i in range(len(names)):
            node, d = i, 0
            while node != root and d <= len(names):
                node, d = parent[node], d + 1
            depth[i] = d
        self.orig[q.column] = np.array([index[v] for v in q.values], dtype=np.int64)
        self.units[q.column] = {"names": names, "parent": parent, "root": root, "depth": depth,
                                "map": np.arange(len(names), dtype=np.int64)}  # fmt: skip

    # ------------------------------------------------------------------ codes and groups
    def _category_codes(self, q: QuasiIdentifier, groups) -> np.ndarray:
        group_of = np.full(len(q.categories) + 1, -1, dtype=np.int64)  # the last slot: missing (-1)
        for g, members in enumerate(groups):
            group_of[members] = g
        return group_of[self.orig[q.column]]

    def _codes(self, q: QuasiIdentifier, *, groups=None, umap=None) -> np.ndarray:
        supp = self.suppressed[q.column]
        if q.kind == "category":
            groups = self.groups[q.column] if groups is None else groups
            return np.where(supp, -1, self._category_codes(q, groups))
        if q.kind == "unit":
            u = self.units[q.column]
            mapped = (u["map"] if umap is None else umap)[self.orig[q.column]]
            return np.where(supp, u["root"], mapped)
        return np.where(supp, -1, self.orig[q.column])

    def _sizes(self, codes: list[np.ndarray]) -> np.ndarray:
        """Rows in each row's group of the same wave; dropped rows are never small."""
        key = self.wave.astype(np.int64)
        for c in codes:
            key = key * (int(c.max(initial=0)) + 2) + (c + 1)
        key = np.where(self.dropped, -1, key)
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        return np.where(self.dropped, self.k, counts[inverse])

    def _small(self, **trial) -> np.ndarray:
        return self._sizes([self._codes(q, **trial.get(q.column, {})) for q in self.qis]) < self.k

    # ------------------------------------------------------------------ the procedure
    def run(self) -> Generaliser:
        """Generalise and suppress until every group of every wave has at least ``k`` rows."""
        self._drop_small_waves()
        self._unit_floor()
        self._search()
        self._suppress()
        if self._small().any():  # pragma: no cover - the procedure guarantees this
            raise RuntimeError("k-anonymity was not reached; please report this as a bug")
        reasons = list(dict.fromkeys(key[-1] for key in self._counts))
        columns = [q.column for q in self.qis]
        for key in sorted(self._counts, key=lambda t: (reasons.index(t[-1]), columns.index(t[1]), t[2])):
            step, column, wave, frm, to, reason = key
            self._act(step, column, wave, frm, to, self._counts[key], reason)
        return self

    def _act(self, step, column, wave, frm, to, rows, reason) -> None:
        row = {"step": step, "column": column, "wave": str(wave), "from": frm, "to": to}
        self.actions.append(row | {"rows_affected": int(rows), "reason": reason})

    def _drop_small_waves(self) -> None:
        counts = np.bincount(self.wave, minlength=len(self.wave_names))
        for w in np.flatnonzero(counts < self.k):
            self.dropped |= self.wave == w
            reason = f"the wave has fewer than k={self.k} rows in all: no group could reach k"
            self._act("drop_rows", "", self.wave_names[w], "", "", counts[w], reason)

    def _unit_floor(self) -> None:
        for q in self.qis:
            if q.kind != "unit" or not self.moves:
                continue
            u = self.units[q.column]
            while True:
                live = ~self.dropped
                mapped = u["map"][self.orig[q.column]][live]
                pairs, counts = np.unique(np.stack([mapped, self.wave[live]]), axis=1, return_counts=True)
                small = [(u["names"][a], a, w) for (a, w), c in zip(pairs.T, counts, strict=True)
                         if c < self.k and a != u["root"]]  # fmt: skip
                if not small:
                    break
                name, a, w = min(small)
                reason = f"{name} has fewer than k={self.k} respondents in wave {self.wave_names[w]}"
                self._move(q, np.where(u["map"] == a, u["parent"][a], u["map"]), reason)

    def _move(self, q: QuasiIdentifier, new_map: np.ndarray, reason: str) -> None:
        """Recode the units of ``q`` to ``new_map``, reporting every unit that moves."""
        u = self.units[q.column]
        orig = self.orig[q.column]
        for a in np.unique(u["map"][orig]):
            targets = np.unique(new_map[orig][u["map"][orig] == a])
            for b in targets[targets != a]:
                rows = int(((u["map"][orig] == a) & (new_map[orig] == b)).sum())
                self._act("generalise_unit", q.column, "all", u["names"][a], u["names"][b], rows, reason)
        u["map"] = new_map

    # ------------------------------------------------------------------ the search
    def _options(self, q: QuasiIdentifier) -> list[tuple[dict, np.ndarray]]:
        """Every recoding of ``q`` as (trial, loss per row), least generalised first."""
        if q.kind == "category":
            return [(self._cat_option(q, g)) for g in _bandings(q.mergeable, len(q.categories))]
        if q.kind == "unit" and self.moves:
            u = self.units[q.column]
            out, umap = [], u["map"].copy()
            for _ in range(int(u["depth"].max()) + 1):
                out.append(self._unit_option(q, umap))
                if (umap == u["root"]).all():
                    break
                umap = u["parent"][umap]
            return out
        return [({}, np.zeros(self.n))]

    def _cat_option(self, q: QuasiIdentifier, groups: list[list[int]]) -> tuple[dict, np.ndarray]:
        size = np.ones(len(q.categories) + 1)
        for g in groups:
            size[g] = len(g)
        orig = self.orig[q.column]
        loss = np.where(orig < q.mergeable, (size[orig] - 1) / max(q.mergeable - 1, 1), 0.0)
        return {"groups": groups}, np.where(orig < 0, 0.0, loss)

    def _unit_option(self, q: QuasiIdentifier, umap: np.ndarray) -> tuple[dict, np.ndarray]:
        u = self.units[q.column]
        orig = self.orig[q.column]
        full = u["depth"][orig]
        moved = full - u["depth"][umap[orig]]
        return {"umap": umap}, np.where(full > 0, moved / np.maximum(full, 1), 0.0)

    def _loss(self, options) -> float:
        """Estimated loss of a recoding: rows in small groups lose every QI value in every wave."""
        small = self._small(**{q.column: opt for q, (opt, _) in zip(self.qis, options, strict=True)})
        # a suppressed value is suppressed in every wave of the respondent: count all their rows
        small = (np.bincount(self.person, weights=small, minlength=self.n_persons) > 0)[self.person]
        small &= ~self.dropped
        live = ~self.dropped & ~small
        kept = sum(float(loss[live].sum()) for _, loss in options)
        return kept + SUPPRESSION_WEIGHT * float(small.sum()) * len(self.qis)

    def _final_loss(self, node) -> float:
        """The loss of a recoding carried through local suppression (on a copy)."""
        trial = copy.deepcopy(self)
        trial.actions, trial._counts = [], defaultdict(int)
        trial._apply(node, "")
        trial._suppress()
        total = 0.0
        for q, (_, loss) in zip(self.qis, node, strict=True):
            supp = trial.suppressed[q.column] & ~self.dropped
            total += float(loss[~supp & ~self.dropped].sum()) + SUPPRESSION_WEIGHT * float(supp.sum())
        return total

    def _search(self) -> None:
        if not self.qis:
            return
        choices = [self._options(q) for q in self.qis]
        nodes = int(np.prod([len(c) for c in choices]))
        if nodes <= MAX_NODES:
            ranked = sorted(enumerate(itertools.product(*choices)), key=lambda t: (self._loss(t[1]), t[0]))
            finalists = [node for _, node in ranked[:REFINE]]
            how = f"least information loss of {nodes} recodings that apply to every wave"
        else:
            finalists = [self._descend(choices)]
            how = "greedy descent on information loss (too many recodings to try all)"
        best = finalists[0]
        if len(finalists) > 1:
            losses = [self._final_loss(node) for node in finalists]
            best = finalists[int(np.argmin(losses))]
        self._apply(best, f"{how} (k={self.k})")

    def _descend(self, choices) -> tuple:
        """One coarser step at a time (a unit level, or merging two neighbouring bands)."""
        node = [c[0] for c in choices]
        loss = self._loss(node)
        while True:
            best = None
            for i, q in enumerate(self.qis):
                for opt in self._steps(q, node[i], choices[i]):
                    trial = [*node[:i], opt, *node[i + 1 :]]
                    new = self._loss(trial)
                    if new < loss - 1e-9 and (best is None or new < best[0] - 1e-9):
                        best = (new, trial)
            if best is None:
                return tuple(node)
            loss, node = best

    def _steps(self, q: QuasiIdentifier, current, choices):
        if q.kind == "category":
            groups = current[0]["groups"]
            for g in range(len(groups) - 1):
                if max(groups[g + 1]) < q.mergeable:
                    yield self._cat_option(q, [*groups[:g], groups[g] + groups[g + 1], *groups[g + 2 :]])
        else:
            at = next(i for i, c in enumerate(choices) if c is current)
            if at + 1 < len(choices):
                yield choices[at + 1]

    def _apply(self, node, reason: str) -> None:
        for q, (opt, _) in zip(self.qis, node, strict=True):
            if "umap" in opt:
                self._move(q, opt["umap"], reason)
            elif "groups" in opt:
                orig = self.orig[q.column]
                for g in opt["groups"]:
                    if len(g) > 1:
                        frm = ", ".join(q.categories[i] for i in g)
                        rows = int(np.isin(orig, g).sum())
                        self._act("merge_categories", q.column, "all", frm, self._name(q, g), rows, reason)
                self.groups[q.column] = opt["groups"]

    @staticmethod
    def _name(q: QuasiIdentifier, members: list[int]) -> str:
        return "|".join(q.categories[i] for i in members)

    # ------------------------------------------------------------------ local suppression
    def _already(self, q: QuasiIdentifier) -> np.ndarray:
        """Rows whose value of ``q`` is already the suppressed value (or missing)."""
        if q.kind == "unit":
            u = self.units[q.column]
            return self.suppressed[q.column] | (u["map"][self.orig[q.column]] == u["root"])
        return self.suppressed[q.column] | (self.orig[q.column] < 0)

    def _suppress_rows(self, q: QuasiIdentifier, rows: np.ndarray, reason: str) -> None:
        new = rows & ~self._already(q)
        if not new.any():
            return
        self.suppressed[q.column] |= new
        to = q.root if q.kind == "unit" else "missing"
        for w, c in zip(*np.unique(self.wave[new], return_counts=True), strict=True):
            self._counts["suppress", q.column, str(self.wave_names[w]), "original values", to, reason] += c

    def _suppress(self) -> None:
        order = sorted(self.qis, key=lambda q: (q.kind != "category", -self.qis.index(q)))
        while True:
            while (small := self._small()).any():
                best = None
                for q in order:
                    if not (small & ~self._already(q)).any():
                        continue
                    saved = self.suppressed[q.column]
                    self.suppressed[q.column] = saved | small
                    n_small = int(self._small().sum())
                    self.suppressed[q.column] = saved
                    if best is None or n_small < best[0]:
                        best = (n_small, q)
                if best is None:
                    self._donate(small)
                else:
                    self._suppress_rows(best[1], small, f"local suppression: groups below k={self.k}")
            if not self._propagate():
                return

    def _propagate(self) -> bool:
        """Suppress a value in every wave of a respondent once it is suppressed in one."""
        changed = False
        for q in self.qis:
            hit = np.bincount(self.person, weights=self.suppressed[q.column], minlength=self.n_persons)
            rows = (hit[self.person] > 0) & ~self.dropped
            if (rows & ~self._already(q)).any():
                self._suppress_rows(q, rows, "kept suppressed in every wave of the same respondent")
                changed = True
        return changed

    def _donate(self, small: np.ndarray) -> None:
        """Grow each wave's fully suppressed group to ``k`` with rows of groups that can spare them."""
        key = np.stack([self._codes(q) for q in self.qis], axis=1)
        for w in np.unique(self.wave[small]):
            in_wave = (self.wave == w) & ~self.dropped
            need = self.k - int((small & in_wave).sum())
            others = np.flatnonzero(in_wave & ~small)
            _, inverse, counts = np.unique(key[others], axis=0, return_inverse=True, return_counts=True)
            inverse = inverse.ravel()
            chosen: list[int] = []
            surplus = counts - self.k
            for c in np.argsort(-surplus, kind="stable"):
                if need <= 0 or surplus[c] <= 0:
                    break
                take = min(need, int(surplus[c]))
                chosen += self.rng.choice(others[inverse == c], size=take, replace=False).tolist()
                need -= take
            if need > 0:  # nobody can spare a row: a whole smallest group joins
                chosen += others[inverse == int(np.argmin(counts))].tolist()
            rows = np.zeros(self.n, dtype=bool)
            rows[chosen] = True
            for q in self.qis:
                self._suppress_rows(q, rows, f"joined the suppressed group so that it reaches k={self.k}")

    # ------------------------------------------------------------------ results
    def values(self, q: QuasiIdentifier) -> np.ndarray:
        """The final values of ``q``: strings, ``None`` where missing or suppressed."""
        codes = self._codes(q)
        if q.kind == "category":
            names = np.array([self._name(q, g) for g in self.groups[q.column]] + [None], dtype=object)
            return names[codes]
        if q.kind == "unit":
            return np.array(self.units[q.column]["names"], dtype=object)[codes]
        return np.where(codes < 0, None, q.values).astype(object)

    def min_group(self) -> dict[str, int]:
        """The smallest group of each wave (after generalisation and suppression)."""
        sizes = self._sizes([self._codes(q) for q in self.qis])
        out = {}
        for w, name in enumerate(self.wave_names):
            at = (self.wave == w) & ~self.dropped
            if at.any():
                out[str(name)] = int(sizes[at].min())
        return out


def _bandings(mergeable: int, total: int) -> list[list[list[int]]]:
    """Every split of categories ``0..mergeable-1`` into bands of neighbours (no merges first), with
    the categories from ``mergeable`` on (not-applicable codes) kept apart.

    >>> _bandings(3, 4)
    [[[0], [1], [2], [3]], [[0], [1, 2], [3]], [[0, 1], [2], [3]], [[0, 1, 2], [3]]]
    """
    out = []
    for cuts in itertools.product((False, True), repeat=max(mergeable - 1, 0)):
        groups = [[0]] if mergeable else []
        for i, join in enumerate(cuts, start=1):
            if join:
                groups[-1].append(i)
            else:
                groups.append([i])
        out.append(groups + [[i] for i in range(mergeable, total)])
    return out
