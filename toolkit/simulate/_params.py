"""The defaults of :func:`toolkit.simulate.simulate` and the checks of its arguments.

:data:`DEFAULT_EFFECTS`, :data:`DEFAULT_DESIGN` and :data:`DEFAULT_MESS` (read-only), and the
private helpers that check each argument and merge the overrides into a copy of the defaults,
raising a ValueError that names the argument, what is allowed and what was given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from toolkit.survey import CADENCE_CODES
from toolkit.survey.schema import WAVE_PATTERN

_ro = MappingProxyType

#: Effects of the generative model, in latent standard deviations (see :func:`simulate`).
DEFAULT_EFFECTS: Mapping[str, Any] = _ro(
    {
        "depth_cadence": _ro(
            {"weekly": 0.30, "biweekly": 0.18, "monthly": 0.0, "less_than_monthly": -0.25, "none": -0.70}
        ),
        "reliability_cadence": _ro(
            {"weekly": 0.25, "biweekly": 0.15, "monthly": 0.0, "less_than_monthly": -0.20, "none": -0.50}
        ),
        "outcome_cadence": _ro(
            {"weekly": 0.05, "biweekly": 0.03, "monthly": 0.0, "less_than_monthly": -0.03, "none": -0.10}
        ),
        "depth_length": _ro({"up_to_15": -0.25, "about_30": 0.0, "about_45": 0.05, "60_plus": 0.05}),
        "only_channel": 0.25,
        "availability_on_holding_back": -0.40,
        "availability_on_informal": 0.40,
        "informal_on_depth": 0.0,
        "depth_on_outcomes": 0.45,
        "reliability_on_outcomes": 0.10,
        "availability_on_outcomes": 0.15,
        "size_on_availability": -0.15,
        "size_on_reliability": -0.10,
        "size_on_depth": -0.05,
        "division_on_depth": -0.35,
        "size_on_cadence": 1.0,
        "division_on_cadence": 2.0,
        "loading": 0.80,
        "person_persistence": 0.60,
    }
)
#: The organisation and its processes.
DEFAULT_DESIGN: Mapping[str, Any] = _ro(
    {
        "cadence_shares": _ro(
            {"weekly": 0.30, "biweekly": 0.30, "monthly": 0.25, "less_than_monthly": 0.10, "none": 0.05}
        ),
        "length_shares": _ro({"up_to_15": 0.15, "about_30": 0.50, "about_45": 0.20, "60_plus": 0.15}),
        "size_mix": (0.07, 0.83, 0.10),
        "teams_per_department": 6,
        "disagreement": 0.12,
        "length_disagreement": 0.10,
        "switch_rate": 0.08,
        "switch_back": 0.50,
        "leave_rate": 0.05,
        "move_rate": 0.03,
    }
)
#: Rates of the mess real survey data have (shares of respondents, or of answers for
#: ``item_nonresponse`` and ``not_applicable``).
DEFAULT_MESS: Mapping[str, float] = _ro(
    {
        "item_nonresponse": 0.04,
        "not_applicable": 0.02,
        "speeders": 0.03,
        "straight_liners": 0.02,
        "attention_failures": 0.03,
        "duplicates": 0.01,
        "comments": 0.25,
        "self_naming": 0.005,
    }
)

_CADENCE_PROFILES = ("depth_cadence", "reliability_cadence", "outcome_cadence")
_NULLED = ("depth_cadence", "reliability_cadence", "outcome_cadence", "depth_length", "only_channel")


def _whole(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}; got {value!r}")
    return int(value)


def _number(value: Any, name: str, lo: float, hi: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        raise ValueError(f"{name} must be a number from {lo} to {hi}; got {value!r}")
    return float(value)


def _rate_range(value: Any) -> tuple[float, float]:
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in value)
    )
    if not ok or not 0 < value[0] <= value[1] <= 1:
        raise ValueError(f"response_rate must be a pair (low, high) with 0 < low <= high <= 1; got {value!r}")
    return float(value[0]), float(value[1])


def _wave_labels(first: Any, n: int) -> tuple[str, ...]:
    if not isinstance(first, str) or not re.match(WAVE_PATTERN, first):
        raise ValueError(f"first_wave must look like 2026Q1 (a year, Q, a quarter 1-4); got {first!r}")
    year, q = int(first[:4]), int(first[5]) - 1
    return tuple(f"{year + (q + i) // 4}Q{(q + i) % 4 + 1}" for i in range(n))


def _check_keys(given: Mapping, defaults: Mapping, name: str) -> None:
    if not isinstance(given, Mapping):
        raise ValueError(f"{name} must be a mapping of names to values; got {type(given).__name__}")
    unknown = [k for k in given if k not in defaults]
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; allowed: {', '.join(defaults)}")


def _merge_effects(given: Mapping | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in DEFAULT_EFFECTS.items()}
    if given is None:
        return out
    _check_keys(given, DEFAULT_EFFECTS, "effects")
    for key, value in given.items():
        if isinstance(DEFAULT_EFFECTS[key], Mapping):
            if not isinstance(value, Mapping):
                raise ValueError(f"effects[{key!r}] must be a mapping of codes to numbers; got {value!r}")
            allowed = CADENCE_CODES if key in _CADENCE_PROFILES else None
            for code, v in value.items():
                if allowed is not None and code not in allowed:
                    raise ValueError(
                        f"effects[{key!r}] has unknown code {code!r}; allowed: {', '.join(allowed)}"
                    )
                if not isinstance(code, str):
                    raise ValueError(f"effects[{key!r}] codes must be text; got {code!r}")
                out[key][code] = _number(v, f"effects[{key!r}][{code!r}]", -3.0, 3.0)
        elif key == "loading":
            out[key] = _number(value, "effects['loading']", 0.3, 0.95)
        elif key == "person_persistence":
            out[key] = _number(value, "effects['person_persistence']", 0.0, 1.0)
        else:
            out[key] = _number(value, f"effects[{key!r}]", -3.0, 3.0)
    return out


def _merge_design(given: Mapping | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in DEFAULT_DESIGN.items()}
    if given is None:
        return out
    _check_keys(given, DEFAULT_DESIGN, "design")
    for key, value in given.items():
        name = f"design[{key!r}]"
        if key in ("cadence_shares", "length_shares"):
            if not isinstance(value, Mapping) or not value:
                raise ValueError(f"{name} must be a non-empty mapping of codes to shares; got {value!r}")
            if key == "cadence_shares" and any(c not in CADENCE_CODES for c in value):
                raise ValueError(f"{name} codes must be among {', '.join(CADENCE_CODES)}; got {list(value)}")
            out[key] = {str(c): _number(v, f"{name}[{c!r}]", 0.0, 1.0) for c, v in value.items()}
        elif key == "size_mix":
            if not isinstance(value, (tuple, list)) or len(value) != 3:
                raise ValueError(f"{name} must be three shares (teams of 1-3, 4-12, 15+); got {value!r}")
            mix = tuple(_number(v, name, 0.0, 1.0) for v in value)
            if sum(mix) <= 0:
                raise ValueError(f"{name} must have a positive share; got {value!r}")
            out[key] = tuple(v / sum(mix) for v in mix)
        elif key == "teams_per_department":
            out[key] = _whole(value, name, 1, 1000)
        else:
            out[key] = _number(value, name, 0.0, 0.5 if key != "switch_back" else 1.0)
    return out


def _merge_mess(given: Mapping | None) -> dict[str, float]:
    out = dict(DEFAULT_MESS)
    if given is None:
        return out
    _check_keys(given, DEFAULT_MESS, "mess")
    for key, value in given.items():
        out[key] = _number(value, f"mess[{key!r}]", 0.0, 0.5)
    careless = out["speeders"] + out["straight_liners"] + out["attention_failures"]
    if careless > 0.5:
        raise ValueError(
            "mess speeders + straight_liners + attention_failures must be at most 0.5 (they are "
            f"exclusive shares of respondents); got {careless:g}"
        )
    return out
