"""Survey versions: what changed between two versions, and what stays comparable.

An item of a new version may name the item of an earlier version it replaces, and say whether
answers stay comparable across the change (``replaces: {item, comparable, note}``, see
:class:`toolkit.survey.Lineage` and ``surveys/README.md``). :func:`diff_surveys` lists every item
of either version with its change; :func:`comparable_constructs` says which construct scores may
be trended across the change; :func:`comparable_items` is the join map trend analyses use; and
:func:`format_diff` is what ``oneonone survey diff OLD NEW`` prints.

Rules, in order:

- A new item with lineage to an old item is compared with it: ``rescaled`` when the answer scale
  differs (kind, codes or labels), else ``reworded`` when the text differs, else ``renamed`` (a
  new id only). Comparable exactly when the lineage says so.
- A new item with the id of an old item and no lineage: ``rescaled``, ``reworded`` or
  ``unchanged``. A rewording or a rescaling the lineage does not cover is *not* comparable, and
  the note says to record it (a reworded item gets a new id and ``replaces``). Differences only in
  spacing, case or punctuation count as unchanged.
- Other new items are ``added``; old items that nothing carries on are ``removed``. Neither is
  comparable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from toolkit._io import md_table
from toolkit.survey import Item, Scale, Survey, load_survey

__all__ = ["CHANGES", "comparable_constructs", "comparable_items", "diff_surveys", "format_diff"]

#: The values of the ``change`` column of :func:`diff_surveys`.
CHANGES = ("added", "removed", "reworded", "rescaled", "renamed", "unchanged")
DIFF_COLUMNS = [
    "item", "change", "old_item", "new_item", "old_text", "new_text", "comparable", "construct", "note",
]  # fmt: skip
CONSTRUCT_COLUMNS = ["construct", "old_construct", "comparable", "reason"]


def diff_surveys(old: Survey | str | Path, new: Survey | str | Path) -> pd.DataFrame:
    """One row per item of either version, with what changed and whether it stays comparable.

    Parameters
    ----------
    old, new : Survey or path
        The two versions (a path is loaded with :func:`toolkit.load_survey`).

    Returns
    -------
    DataFrame
        ``item`` (the new id, or the old one for a removed item), ``change`` (one of
        :data:`CHANGES`), ``old_item``, ``new_item``, ``old_text``, ``new_text`` (empty where
        there is none), ``comparable`` (bool: answers may be trended across the change),
        ``construct`` (the new version's, or the old one's for a removed item) and ``note``.
        New items come first in the new version's order, then removed items in the old order.
        ``attrs`` holds the ``old`` and ``new`` survey id and version.

    Examples
    --------
    >>> new = "tests/fixtures/versions/one_on_one_pulse_1_1.yaml"
    >>> d = diff_surveys("surveys/one_on_one_pulse.yaml", new)
    >>> d.set_index("item").loc["avail_reach", ["change", "old_item"]].tolist()
    ['reworded', 'avail_reachable']
    >>> bool(d.set_index("item").loc["avail_reach", "comparable"])
    True
    >>> sorted(set(d["change"]))
    ['added', 'removed', 'reworded', 'unchanged']
    """
    old, new = _survey(old), _survey(new)
    old_by = {it.id: it for it in old.items}
    carried: set[str] = set()
    rows = []
    for item in new.items:
        lineage = item.replaces
        if lineage is not None and lineage.item in old_by:
            before = old_by[lineage.item]
            carried.add(before.id)
            change, notes = _compare(before, item, old, new)
            change = "renamed" if change == "unchanged" else change
            verdict = "comparable" if lineage.comparable else "not comparable"
            notes.insert(0, f"replaces {before.id} ({verdict})")
            if lineage.note:
                notes.insert(1, lineage.note)
            rows.append(_row(item.id, change, before, item, lineage.comparable, notes))
        elif item.id in old_by:
            before = old_by[item.id]
            carried.add(before.id)
            change, notes = _compare(before, item, old, new)
            if change == "reworded":
                notes.append(
                    "the text changed but no lineage says whether answers stay comparable: give the item a "
                    "new id with `replaces: {item: ..., comparable: ...}`; treated as not comparable"
                )
            elif change == "rescaled":
                notes.append("the answer scale changed without lineage; treated as not comparable")
            rows.append(_row(item.id, change, before, item, change == "unchanged", notes))
        else:
            notes = []
            if lineage is not None:
                notes.append(
                    f"replaces {lineage.item}, which version {old.version} does not have (lineage from "
                    "another version)"
                )
            rows.append(_row(item.id, "added", None, item, False, notes))
    new_ids = {it.id for it in new.items}
    for item in old.items:
        if item.id not in carried and item.id not in new_ids:
            rows.append(_row(item.id, "removed", item, None, False, []))
    out = pd.DataFrame(rows, columns=DIFF_COLUMNS).astype({"comparable": "bool"})
    out.attrs = {"old": f"{old.id} {old.version}", "new": f"{new.id} {new.version}"}
    return out


def comparable_items(old: Survey | str | Path, new: Survey | str | Path) -> dict[str, str]:
    """New item id -> old item id, for the items whose answers may be trended across versions.

    Examples
    --------
    >>> new = "tests/fixtures/versions/one_on_one_pulse_1_1.yaml"
    >>> m = comparable_items("surveys/one_on_one_pulse.yaml", new)
    >>> m["avail_reach"], m["depth_why"], "growth_sponsor" in m
    ('avail_reachable', 'depth_why', False)
    """
    diff = diff_surveys(old, new)
    keep = diff[diff["comparable"]]
    return dict(zip(keep["new_item"], keep["old_item"], strict=True))


def comparable_constructs(old: Survey | str | Path, new: Survey | str | Path) -> pd.DataFrame:
    """Which construct scores may be trended across the two versions, and why (not).

    A construct score stays comparable when its items map one-to-one onto the old construct's
    items through comparable items, with the same reverse keying. A new construct whose items map
    so onto an old construct of another name counts as that construct renamed.

    Returns
    -------
    DataFrame
        ``construct`` (the new id, or the old one when removed), ``old_construct``,
        ``comparable`` (bool) and ``reason``: every item that breaks the mapping, by name.

    Examples
    --------
    >>> c = comparable_constructs("surveys/one_on_one_pulse.yaml",
    ...                           "tests/fixtures/versions/one_on_one_pulse_1_1.yaml").set_index("construct")
    >>> c.loc["availability", "comparable"], c.loc["growth", "comparable"]
    (np.True_, np.False_)
    >>> c.loc["growth", "reason"]
    'growth_sponsor replaces growth_supported, not comparable'
    """
    old, new = _survey(old), _survey(new)
    diff = diff_surveys(old, new)
    mapping = comparable_items(old, new)
    rows, used = [], set()
    for c in new.constructs.values():
        target = old.constructs.get(c.id) or _renamed_from(c, old, new, mapping)
        if target is None:
            rows.append([c.id, "", False, f"new construct (not in version {old.version})"])
            continue
        used.add(target.id)
        problems = _construct_problems(c.items, target.items, old, new, mapping, diff)
        reason = "; ".join(problems) if problems else f"all {len(c.items)} items comparable"
        if target.id != c.id:
            reason = f"renamed from {target.id}; " + reason
        if not problems and target.min_valid != c.min_valid:
            reason += f" (min_valid {target.min_valid} -> {c.min_valid}: who gets a score changes a little)"
        rows.append([c.id, target.id, not problems, reason])
    for c in old.constructs.values():
        if c.id not in used:
            rows.append([c.id, c.id, False, f"removed in version {new.version}"])
    return pd.DataFrame(rows, columns=CONSTRUCT_COLUMNS).astype({"comparable": "bool"})


def format_diff(diff: pd.DataFrame, constructs: pd.DataFrame) -> str:
    """A Markdown summary of :func:`diff_surveys` and :func:`comparable_constructs` (what the CLI prints).

    Examples
    --------
    >>> old, new = "surveys/one_on_one_pulse.yaml", "tests/fixtures/versions/one_on_one_pulse_1_1.yaml"
    >>> text = format_diff(diff_surveys(old, new), comparable_constructs(old, new))
    >>> text.splitlines()[0]
    '# Survey changes: one_on_one_pulse 1.0 -> one_on_one_pulse 1.1'
    """
    title = "# Survey changes"
    if diff.attrs.get("old") and diff.attrs.get("new"):
        title += f": {diff.attrs['old']} -> {diff.attrs['new']}"
    counts = diff["change"].value_counts()
    lines = [
        title,
        "",
        ", ".join(f"{int(counts[c])} {c}" for c in CHANGES if c in counts.index)
        + f"; {int(diff['comparable'].sum())} of {len(diff)} items comparable.",
        "",
        "## Items that changed",
        "",
    ]
    changed = diff[diff["change"] != "unchanged"]
    if len(changed):
        lines += md_table(
            ["change", "item", "was", "comparable", "note"],
            (
                [
                    r.change,
                    f"`{r.item}`",
                    f"`{r.old_item}`" if r.old_item not in ("", r.item) else "",
                    _yes(r.comparable),
                    r.note,
                ]
                for r in changed.itertuples(index=False)
            ),
        )
    else:
        lines.append("None.")
    lines += ["", "## Construct scores", ""]
    lines += md_table(
        ["construct", "comparable", "reason"],
        ([f"`{r.construct}`", _yes(r.comparable), r.reason] for r in constructs.itertuples(index=False)),
    )
    lines += ["", "Trend analyses join only comparable items and comparable construct scores."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- helpers


def _survey(value) -> Survey:
    if isinstance(value, Survey):
        return value
    if isinstance(value, str | Path):
        return load_survey(value)
    raise TypeError(f"expected a Survey or the path of a survey file, got {type(value).__name__}")


def _row(item_id, change, old: Item | None, new: Item | None, comparable: bool, notes: list[str]) -> dict:
    construct = (new.construct if new is not None else old.construct) or ""
    return {
        "item": item_id,
        "change": change,
        "old_item": old.id if old is not None else "",
        "new_item": new.id if new is not None else "",
        "old_text": old.text if old is not None else "",
        "new_text": new.text if new is not None else "",
        "comparable": bool(comparable),
        "construct": construct,
        "note": "; ".join(notes),
    }


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _loose(text: str) -> str:
    return re.sub(r"[^\w ]", "", _normal(text).lower())


def _compare(old: Item, new: Item, old_s: Survey, new_s: Survey) -> tuple[str, list[str]]:
    """(``rescaled``, ``reworded`` or ``unchanged``, notes on every difference found)."""
    notes = []
    a = old_s.scales[old.scale] if old.scale else None
    b = new_s.scales[new.scale] if new.scale else None
    scale_note = _scale_change(old, new, a, b)
    if _normal(old.text) != _normal(new.text) and _loose(old.text) == _loose(new.text):
        notes.append("wording differs only in case or punctuation")
    reworded = _loose(old.text) != _loose(new.text)
    if old.reverse != new.reverse:
        notes.append(f"reverse keying {'added' if new.reverse else 'removed'}")
    if (old.construct or "") != (new.construct or ""):
        notes.append(f"construct {old.construct or 'none'} -> {new.construct or 'none'}")
    if old.role != new.role:
        notes.append(f"role {old.role or 'none'} -> {new.role or 'none'}")
    if a is not None and b is not None and not scale_note and tuple(a.favourable) != tuple(b.favourable):
        notes.append(f"favourable codes {list(a.favourable)} -> {list(b.favourable)}")
    if scale_note:
        return "rescaled", [scale_note, *(["text reworded"] if reworded else []), *notes]
    return ("reworded" if reworded else "unchanged"), notes


def _scale_change(old: Item, new: Item, a: Scale | None, b: Scale | None) -> str:
    if old.kind != new.kind:
        return f"answer type {old.kind} -> {new.kind}"
    if a is None or b is None:
        return ""
    if a.codes != b.codes:
        return f"codes {_codes(a.codes)} -> {_codes(b.codes)}"
    if a.na_codes != b.na_codes:
        return f"not-applicable codes {_codes(a.na_codes)} -> {_codes(b.na_codes)}"
    changed = [
        f"{ca.code}: {ca.label!r} -> {cb.label!r}"
        for ca, cb in zip(a.values + a.not_applicable, b.values + b.not_applicable, strict=True)
        if _loose(ca.label) != _loose(cb.label)
    ]
    return f"labels changed ({'; '.join(changed)})" if changed else ""


def _codes(codes) -> str:
    return ", ".join(map(str, codes)) or "none"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _renamed_from(c, old: Survey, new: Survey, mapping: dict[str, str]):
    mapped = {mapping.get(i) for i in c.items}
    for o in old.constructs.values():
        if o.id not in new.constructs and len(o.items) == len(c.items) and mapped == set(o.items):
            return o
    return None


def _construct_problems(new_items, old_items, old: Survey, new: Survey, mapping, diff) -> list[str]:
    """Every reason a construct's new items do not map one-to-one onto its old items."""
    by_new = diff[diff["new_item"] != ""].set_index("new_item", drop=False)
    problems, hit = [], []
    for i in new_items:
        row = by_new.loc[i]
        if i not in mapping:
            if row["change"] == "added":
                problems.append(f"{i} added")
            elif row["old_item"] and row["old_item"] != i:
                problems.append(f"{i} replaces {row['old_item']}, not comparable")
            else:
                problems.append(f"{i} {row['change']}, not comparable")
            continue
        before = mapping[i]
        if before not in old_items:
            problems.append(f"{i} was {before}, not an item of this construct")
            continue
        if old.item(before).reverse != new.item(i).reverse:
            problems.append(f"{i} reverse keying changed")
        hit.append(before)
    carried = {r.old_item: r.new_item for r in diff.itertuples(index=False) if r.old_item and r.new_item}
    for o in old_items:
        if o in hit:
            continue
        now = carried.get(o)
        if now is None:
            problems.append(f"{o} removed")
        elif now not in new_items:
            problems.append(f"{o} moved out of this construct" if now == o else f"{o} is now {now}")
    return problems
