"""The survey file parser: YAML to a checked :class:`toolkit.survey.Survey`.

Kept apart from :mod:`toolkit.survey` (the model and its public loader) because it is all
about reporting mistakes well: every error names the key path (``items[7].scale``) and the
line, which the parser finds by walking the composed YAML node tree.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import SurveyError
from toolkit.survey.definition import (
    CADENCE_CODES,
    METADATA_COLUMNS,
    ROLES,
    SINGLE_ROLES,
    Choice,
    Condition,
    Construct,
    Item,
    Lineage,
    Scale,
    Survey,
)

_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_CODE = re.compile(r"^[A-Za-z0-9_]+$")
_INT8 = (-128, 127)

_TOP_KEYS = {"id", "version", "title", "description", "language", "scales", "items", "constructs"}
_SCALE_KEYS = {"label", "type", "values", "not_applicable", "favourable"}
_ITEM_KEYS = {
    "id",
    "text",
    "scale",
    "type",
    "required",
    "reverse",
    "role",
    "expected",
    "ask_if",
    "replaces",
    "aliases",
    "description",
}
_CONSTRUCT_KEYS = {"label", "description", "items", "min_valid", "better"}
_CONDITION_KEYS = {"item", "in", "not_in"}
_LINEAGE_KEYS = {"item", "comparable", "note"}


class Parser:
    """Turns loaded YAML into a Survey, raising SurveyError at the first problem."""

    def __init__(self, path: str | Path | None, root: yaml.Node | None) -> None:
        self.path = None if path is None else str(path)
        self.root = root
        if root is not None:
            self._check_duplicate_keys(root, ())

    # -- error reporting
    def fail(self, keys: tuple, problem: str) -> SurveyError:
        return SurveyError(problem, path=self.path, key=_key_path(keys) or None, line=self._line(keys))

    def _line(self, keys: tuple) -> int | None:
        node = self.root
        if node is None:
            return None
        best = node.start_mark.line + 1
        for k in keys:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for knode, vnode in node.value:
                    if _node_key(knode) == k:
                        nxt = vnode
                        best = knode.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(k, int) and k < len(node.value):
                nxt = node.value[k]
                best = nxt.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        return best

    def _check_duplicate_keys(self, node: yaml.Node, keys: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for knode, vnode in node.value:
                k = _node_key(knode)
                if k in seen:
                    raise SurveyError(
                        f"duplicate key {k!r} (YAML would silently keep only the last one)",
                        path=self.path,
                        key=_key_path(keys) or None,
                        line=knode.start_mark.line + 1,
                    )
                seen.add(k)
                self._check_duplicate_keys(vnode, (*keys, k))
        elif isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                self._check_duplicate_keys(child, (*keys, i))

    # -- small checkers
    def mapping(self, value: Any, keys: tuple, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(keys, f"expected a mapping of keys to values, got {_kind(value)}")
        for k in value:
            if k not in allowed:
                raise self.fail((*keys, k), f"unknown key {k!r} (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value or value[k] is None:
                raise self.fail(keys, f"missing required key {k!r}")
        return value

    def text(self, value: Any, keys: tuple, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(keys, f"expected text, got {_kind(value)}")
        if not empty_ok and not value.strip():
            raise self.fail(keys, "must not be empty")
        return value.strip()

    def boolean(self, value: Any, keys: tuple) -> bool:
        if not isinstance(value, bool):
            raise self.fail(keys, f"expected true or false, got {_kind(value)}")
        return value

    def identifier(self, value: Any, keys: tuple, what: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(
                keys,
                f"{what} must start with a lowercase letter and use only lowercase letters, "
                f"digits and underscores, at most 32 characters; got {value!r}",
            )
        return value

    # -- the survey
    def survey(self, data: Any) -> Survey:
        top = self.mapping(data, (), _TOP_KEYS, ("id", "version", "title", "scales", "items", "constructs"))
        sid = self.identifier(top["id"], ("id",), "the survey id")
        version = top["version"]
        if not isinstance(version, str) or not version.strip():
            raise self.fail(
                ("version",),
                f'must be quoted text such as "1.0" (YAML reads 1.10 as the number 1.1); '
                f"got {_kind(version)}",
            )
        title = self.text(top["title"], ("title",))
        description = self.text(top.get("description") or "", ("description",), empty_ok=True)
        language = self.text(top.get("language") or "en", ("language",))

        scales = self.scales(top["scales"])
        items = self.items(top["items"], scales)
        constructs, construct_of = self.constructs(top["constructs"], items, scales)
        items = [replace(it, construct=construct_of.get(it.id)) for it in items]
        return Survey(
            id=sid,
            version=version.strip(),
            title=title,
            description=description,
            language=language,
            scales=scales,
            items=tuple(items),
            constructs=constructs,
            path=self.path,
        )

    def scales(self, value: Any) -> dict[str, Scale]:
        keys = ("scales",)
        if not isinstance(value, dict) or not value:
            raise self.fail(
                keys, f"expected a non-empty mapping of scale names to scales, got {_kind(value)}"
            )
        out: dict[str, Scale] = {}
        for name, spec in value.items():
            sk = (*keys, name)
            self.identifier(name, sk, "a scale name")
            spec = self.mapping(spec, sk, _SCALE_KEYS, ("type", "values"))
            kind = spec["type"]
            if kind not in ("ordinal", "categorical"):
                raise self.fail((*sk, "type"), f"must be 'ordinal' or 'categorical', got {kind!r}")
            values = self.choices(spec["values"], (*sk, "values"), kind, minimum=2)
            na = self.choices(spec.get("not_applicable") or {}, (*sk, "not_applicable"), kind, minimum=0)
            overlap = {c.code for c in values} & {c.code for c in na}
            if overlap:
                raise self.fail(
                    (*sk, "not_applicable"),
                    f"codes {sorted(overlap, key=str)} are both answers and not-applicable codes",
                )
            if kind == "ordinal":
                codes = [c.code for c in values]
                if codes != sorted(codes):
                    raise self.fail(
                        (*sk, "values"), f"ordinal codes must increase down the list; got {codes}"
                    )
            favourable: tuple[int, ...] = ()
            if spec.get("favourable") is not None:
                fk = (*sk, "favourable")
                if kind != "ordinal":
                    raise self.fail(fk, "only an ordinal scale can have favourable codes")
                fav = spec["favourable"]
                if not isinstance(fav, list) or not fav:
                    raise self.fail(fk, f"expected a non-empty list of codes, got {_kind(fav)}")
                unknown = [c for c in fav if c not in {ch.code for ch in values}]
                if unknown:
                    raise self.fail(fk, f"codes {unknown} are not answer codes of this scale")
                favourable = tuple(sorted(fav))
            label = self.text(spec.get("label") or name, (*sk, "label"))
            out[name] = Scale(name, label, kind, values, na, favourable)
        return out

    def choices(self, value: Any, keys: tuple, kind: str, *, minimum: int) -> tuple[Choice, ...]:
        if not isinstance(value, dict):
            raise self.fail(keys, f"expected a mapping of codes to labels, got {_kind(value)}")
        if len(value) < minimum:
            raise self.fail(keys, f"needs at least {minimum} codes, got {len(value)}")
        out = []
        for code, label in value.items():
            ck = (*keys, code)
            if isinstance(code, bool):
                raise self.fail(
                    ck,
                    f"the code {code!r} was read as a boolean (YAML reads yes/no/on/off that way): quote it",
                )
            if kind == "ordinal":
                if not isinstance(code, int):
                    raise self.fail(ck, f"ordinal codes must be whole numbers, got {_kind(code)}")
                if not _INT8[0] <= code <= _INT8[1]:
                    raise self.fail(ck, f"codes must lie between {_INT8[0]} and {_INT8[1]}, got {code}")
            else:
                if not isinstance(code, str) or not _CODE.match(code):
                    raise self.fail(
                        ck,
                        f"categorical codes must be text of letters, digits and underscores; got {code!r}",
                    )
            out.append(Choice(code, self.text(label, ck)))
        return tuple(out)

    def items(self, value: Any, scales: dict[str, Scale]) -> list[Item]:
        keys = ("items",)
        if not isinstance(value, list) or not value:
            raise self.fail(keys, f"expected a non-empty list of items, got {_kind(value)}")
        items: list[Item] = []
        seen: dict[str, int] = {}
        role_seen: dict[str, int] = {}
        for i, spec in enumerate(value):
            ik = (*keys, i)
            spec = self.mapping(spec, ik, _ITEM_KEYS, ("id", "text"))
            iid = self.identifier(spec["id"], (*ik, "id"), "an item id")
            if iid in seen:
                raise self.fail((*ik, "id"), f"duplicate item id {iid!r} (first used by items[{seen[iid]}])")
            seen[iid] = i
            role = spec.get("role")
            if role is not None and role not in ROLES:
                raise self.fail((*ik, "role"), f"unknown role {role!r} (allowed: {', '.join(ROLES)})")
            if role in SINGLE_ROLES:
                if role in role_seen:
                    raise self.fail(
                        (*ik, "role"),
                        f"role {role!r} may be used once, but items[{role_seen[role]}] has it already",
                    )
                role_seen[role] = i
            if iid in METADATA_COLUMNS and not (iid == "team" and role == "team"):
                raise self.fail(
                    (*ik, "id"),
                    f"{iid!r} is a column of every response table ({', '.join(METADATA_COLUMNS)}); "
                    "choose another id",
                )
            text = self.text(spec["text"], (*ik, "text"))
            has_scale = spec.get("scale") is not None
            if has_scale == (spec.get("type") is not None):
                raise self.fail(ik, "give exactly one of 'scale' (a scale name) or 'type: text'")
            scale_name = None
            if has_scale:
                scale_name = spec["scale"]
                if scale_name not in scales:
                    raise self.fail(
                        (*ik, "scale"),
                        f"unknown scale {scale_name!r} (known: {', '.join(scales)})",
                    )
                kind = scales[scale_name].kind
            else:
                if spec["type"] != "text":
                    raise self.fail(
                        (*ik, "type"), f"the only item type without a scale is 'text'; got {spec['type']!r}"
                    )
                kind = "text"
            reverse = self.boolean(spec.get("reverse", False), (*ik, "reverse"))
            if reverse and kind != "ordinal":
                raise self.fail(
                    (*ik, "reverse"),
                    f"only items on an ordinal scale can be reverse keyed; this item is {kind}",
                )
            required = self.boolean(spec.get("required", False), (*ik, "required"))
            item = Item(
                id=iid,
                text=text,
                kind=kind,
                scale=scale_name,
                required=required,
                reverse=reverse,
                role=role,
                expected=self.expected(spec, ik, role, scales.get(scale_name) if scale_name else None),
                ask_if=None,
                replaces=self.lineage(spec.get("replaces"), (*ik, "replaces")),
                aliases=self.aliases(spec.get("aliases"), (*ik, "aliases")),
                description=self.text(spec.get("description") or "", (*ik, "description"), empty_ok=True),
            )
            self.role_rules(item, ik, scales)
            items.append(item)

        by_id = {it.id: it for it in items}
        for i, (spec, item) in enumerate(zip(value, items, strict=True)):
            if spec.get("ask_if") is not None:
                cond = self.condition(spec["ask_if"], ("items", i, "ask_if"), item, by_id, scales)
                items[i] = replace(item, ask_if=cond)
            if item.replaces is not None and item.replaces.item in by_id:
                raise self.fail(
                    ("items", i, "replaces", "item"),
                    f"{item.replaces.item!r} is still an item of this version; an item can only "
                    "replace one from an earlier version",
                )
        return items

    def expected(self, spec: dict, ik: tuple, role: str | None, scale: Scale | None) -> int | str | None:
        if role != "attention_check":
            if "expected" in spec:
                raise self.fail(
                    (*ik, "expected"), "only an item with role 'attention_check' has an expected answer"
                )
            return None
        if scale is None:
            raise self.fail(ik, "an attention check needs a scale, so that the instructed answer is a code")
        if spec.get("expected") is None:
            raise self.fail(ik, "an attention check needs 'expected': the code a reader is told to choose")
        expected = spec["expected"]
        if expected not in scale.codes or isinstance(expected, bool):
            raise self.fail(
                (*ik, "expected"),
                f"{expected!r} is not an answer code of scale {scale.name!r} "
                f"({', '.join(map(str, scale.codes))})",
            )
        return expected

    def role_rules(self, item: Item, ik: tuple, scales: dict[str, Scale]) -> None:
        if item.role == "cadence":
            if item.kind != "categorical":
                raise self.fail(ik, "the cadence item needs a categorical scale")
            unknown = [c for c in scales[item.scale].codes if c not in CADENCE_CODES]
            if unknown:
                raise self.fail(
                    (*ik, "scale"),
                    f"cadence codes {unknown} are not known to the analyses; use codes from "
                    f"{', '.join(CADENCE_CODES)}",
                )
        elif item.role == "team" and item.kind == "ordinal":
            raise self.fail(ik, "the team item must be text or categorical")
        elif item.role == "comment" and item.kind != "text":
            raise self.fail(ik, "a comment item must have 'type: text'")
        elif item.role == "demographic" and item.kind == "text":
            raise self.fail(ik, "a demographic item needs a scale of coarse categories, not free text")

    def condition(
        self, value: Any, keys: tuple, item: Item, by_id: dict[str, Item], scales: dict[str, Scale]
    ) -> Condition:
        spec = self.mapping(value, keys, _CONDITION_KEYS, ("item",))
        target = spec["item"]
        if target not in by_id:
            raise self.fail((*keys, "item"), f"unknown item {target!r}")
        if target == item.id:
            raise self.fail((*keys, "item"), "an item cannot depend on itself")
        ref = by_id[target]
        if ref.scale is None:
            raise self.fail(
                (*keys, "item"), f"{target!r} is free text; a condition needs an item with a scale"
            )
        if ("in" in spec) == ("not_in" in spec):
            raise self.fail(keys, "give exactly one of 'in' or 'not_in' (a list of codes)")
        op = "in" if "in" in spec else "not_in"
        codes = spec[op]
        if not isinstance(codes, list) or not codes:
            raise self.fail((*keys, op), f"expected a non-empty list of codes, got {_kind(codes)}")
        allowed = scales[ref.scale].allowed
        unknown = [c for c in codes if c not in allowed or isinstance(c, bool)]
        if unknown:
            raise self.fail((*keys, op), f"codes {unknown} are not codes of {target!r}'s scale {ref.scale!r}")
        return Condition(target, tuple(codes), negate=(op == "not_in"))

    def lineage(self, value: Any, keys: tuple) -> Lineage | None:
        if value is None:
            return None
        spec = self.mapping(value, keys, _LINEAGE_KEYS, ("item", "comparable"))
        old = self.identifier(spec["item"], (*keys, "item"), "the replaced item id")
        comparable = self.boolean(spec["comparable"], (*keys, "comparable"))
        note = self.text(spec.get("note") or "", (*keys, "note"), empty_ok=True)
        return Lineage(old, comparable, note)

    def aliases(self, value: Any, keys: tuple) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(keys, f"expected a list of alternative headers, got {_kind(value)}")
        return tuple(self.text(v, (*keys, i)) for i, v in enumerate(value))

    def constructs(
        self, value: Any, items: list[Item], scales: dict[str, Scale]
    ) -> tuple[dict[str, Construct], dict[str, str]]:
        keys = ("constructs",)
        if not isinstance(value, dict) or not value:
            raise self.fail(
                keys, f"expected a non-empty mapping of construct ids to constructs, got {_kind(value)}"
            )
        by_id = {it.id: it for it in items}
        construct_of: dict[str, str] = {}
        out: dict[str, Construct] = {}
        for cid, spec in value.items():
            ck = (*keys, cid)
            self.identifier(cid, ck, "a construct id")
            if cid in by_id:
                raise self.fail(ck, f"{cid!r} is also an item id; a construct needs a name of its own")
            spec = self.mapping(spec, ck, _CONSTRUCT_KEYS, ("items",))
            members = spec["items"]
            if not isinstance(members, list):
                raise self.fail((*ck, "items"), f"expected a list of item ids, got {_kind(members)}")
            if len(members) < 3:
                raise self.fail(
                    (*ck, "items"),
                    f"a construct needs at least 3 items to be measured reliably; got {len(members)}",
                )
            ranges = {}
            for j, iid in enumerate(members):
                mk = (*ck, "items", j)
                if iid not in by_id:
                    raise self.fail(mk, f"unknown item {iid!r}")
                if iid in members[:j]:
                    raise self.fail(mk, f"item {iid!r} is listed twice")
                if iid in construct_of:
                    raise self.fail(
                        mk,
                        f"item {iid!r} is already in construct {construct_of[iid]!r}; "
                        "an item belongs to one construct",
                    )
                item = by_id[iid]
                if item.kind != "ordinal":
                    raise self.fail(mk, f"item {iid!r} is {item.kind}; only ordinal items can be scored")
                if item.role is not None:
                    raise self.fail(mk, f"item {iid!r} has role {item.role!r} and cannot be scored")
                codes = scales[item.scale].codes
                ranges[iid] = (min(codes), max(codes))
                construct_of[iid] = cid
            if len(set(ranges.values())) > 1:
                detail = ", ".join(f"{k} {lo}..{hi}" for k, (lo, hi) in ranges.items())
                raise self.fail(
                    (*ck, "items"), f"items of one construct must share a code range; got {detail}"
                )
            min_valid = spec.get("min_valid", -(-len(members) // 2))
            if (
                isinstance(min_valid, bool)
                or not isinstance(min_valid, int)
                or not 1 <= min_valid <= len(members)
            ):
                raise self.fail(
                    (*ck, "min_valid"),
                    f"must be a whole number from 1 to the number of items ({len(members)}); "
                    f"got {min_valid!r}",
                )
            better = spec.get("better", "higher")
            if better not in ("higher", "lower"):
                raise self.fail(
                    (*ck, "better"),
                    f"must be higher (a higher score is better, the default) or lower; got {better!r}",
                )
            out[cid] = Construct(
                id=cid,
                label=self.text(spec.get("label") or cid, (*ck, "label")),
                items=tuple(members),
                min_valid=min_valid,
                higher_is_better=better == "higher",
                description=self.text(spec.get("description") or "", (*ck, "description"), empty_ok=True),
            )
        return out, construct_of


def _node_key(node: yaml.Node) -> Any:
    """The Python value of a mapping key node, as safe_load constructs it."""
    if not isinstance(node, yaml.ScalarNode):
        return node.value
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _key_path(keys: tuple) -> str:
    out = ""
    for k in keys:
        if isinstance(k, str) and re.fullmatch(r"\w+", k):
            out += f".{k}" if out else k
        elif isinstance(k, str):
            out += f"[{k!r}]"
        else:
            out += f"[{k}]"
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value!r})"
    return type(value).__name__
