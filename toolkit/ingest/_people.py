"""Who answered, and in which team: the canonical table of an export (private to ingest).

A respondent is found in the wave's roster by employee id (or e-mail) and gets the pseudonym of
that id under the user's key; a pseudonymised canonical file is checked against the roster under
the key; an anonymous export's rows get random ids and their team from the export's team column.
The known teams and headcounts of the wave come from the roster, or, for an anonymous export, from
the teams or units given.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import InputError
from toolkit.ingest.export import Export
from toolkit.privacy.pseudonym import normalise_ids, pseudonymise
from toolkit.privacy.scrub import Scrubber
from toolkit.survey import METADATA_COLUMNS, Survey
from toolkit.survey.validate import FAILURE_COLUMNS
from toolkit.units import headcounts


def _norm(ids: pd.Series) -> pd.Series:
    return normalise_ids(ids)


# --------------------------------------------------------------------------- the canonical table


def _table(
    read: Export,
    survey: Survey,
    people: pd.DataFrame | None,
    wave: str,
    key: bytes | None,
    roster_pseudonyms: pd.Series | None,
    scrub: Scrubber,
    anonymous: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """Any export as a canonical-shaped table (text values), identified by pseudonym only.

    Returns the table (exactly the canonical columns: no identifier passes), the failures of
    respondents not in the roster, and whether the teams are the file's own (a pseudonymised
    canonical file: the schema then checks them against the roster). Free text is scrubbed by
    ``scrub`` (:class:`toolkit.privacy.scrub.Scrubber` of the whole roster: every wave's people) of its
    names and of anything shaped like an e-mail address.
    """
    raw = read.table
    if read.format == "canonical":
        _check_file_waves(read, wave)
    no_failures = _not_in_roster(raw.index[:0], "")
    team_from_file = False
    if anonymous:
        respondent = _random_ids(raw.index)
        team = _text_column(raw, "team")
        failures = no_failures
    elif _identified(raw):
        respondent, team, failures = _join_roster(raw, people, wave, key, roster_pseudonyms)
    elif "respondent" in raw.columns:
        respondent, team, failures = _match_pseudonyms(raw, people, wave, roster_pseudonyms)
        team_from_file = True
    else:
        raise InputError(
            "nothing in the export tells who answered: no employee id (such as Qualtrics' "
            "ExternalReference), no e-mail address and no respondent pseudonym, so no row can be "
            f"joined to the roster of wave {wave}. Nothing was stored. For an anonymous survey, "
            "ingest with --anonymous --team-column COL (anonymous=True, team_column=COL): random "
            "respondent ids, no roster and no key.",
            path=read.source,
        )
    n = len(raw)
    out = {
        "respondent": respondent.array,
        "wave": pd.array(pa.repeat(pa.scalar(wave, pa.large_string()), n), dtype="str"),
        "team": team.array,
        "submitted_at": raw["submitted_at"].array if "submitted_at" in raw.columns else pd.NaT,
        "duration_s": raw["duration_s"].array if "duration_s" in raw.columns else pd.NA,
    }
    for item_id in survey.item_columns:
        column = raw[item_id] if item_id in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="str")
        if survey.item(item_id).kind == "text":
            column = scrub(column)
        out[item_id] = column.array
    # one frame from arrays: assigning 45 aligned Series one by one costs a second on a million rows
    out = pd.DataFrame(out, index=raw.index)
    return out[list(METADATA_COLUMNS) + list(survey.item_columns)], failures, team_from_file


def _identified(raw: pd.DataFrame) -> bool:
    """Whether the table has an employee id or e-mail for any row (the keys to the roster)."""
    return any(c in raw.columns and raw[c].notna().any() for c in ("employee_id", "email"))


def _join_roster(
    raw: pd.DataFrame, people: pd.DataFrame, wave: str, key: bytes, roster_pseudonyms: pd.Series
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Respondents found in the roster by employee id (or e-mail): their pseudonyms and teams.

    ``roster_pseudonyms`` are the pseudonyms of ``people["_key"]``: a respondent found in the
    roster takes theirs, and only the others are hashed here.
    """
    employee = (
        _norm(raw["employee_id"])
        if "employee_id" in raw.columns
        else pd.Series(pd.NA, index=raw.index, dtype="str")
    )
    if "email" in raw.columns and "email" in people.columns:
        emails_norm = _norm(people["email"])
        first = ~emails_norm.duplicated() & emails_norm.notna()
        at = _positions(_norm(raw["email"]), emails_norm[first])
        by_email = np.where(at >= 0, people["_key"][first].to_numpy(dtype=object)[at], None)
        employee = employee.fillna(pd.Series(by_email, index=raw.index, dtype="str"))
    at = _positions(employee, people["_key"])
    known = at >= 0
    failures = _not_in_roster(
        raw.index[~known], f"the respondent is not in the roster of wave {wave} (by employee id or email)"
    )
    rows = pa.array(at, mask=~known)  # the roster row of each respondent, null when unknown
    team = _take_text(people["team"], rows, raw.index)
    if "team" in raw.columns:
        team = team.fillna(raw["team"].astype("str"))
    respondent = _take_text(roster_pseudonyms, rows, raw.index)
    if not known.all():
        respondent[~known] = pseudonymise(employee[~known], key)
    return respondent, team, failures


def _match_pseudonyms(
    raw: pd.DataFrame, people: pd.DataFrame, wave: str, roster_pseudonyms: pd.Series
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """A file already pseudonymised: each pseudonym is found among the roster's under this key.

    The team is the file's where it gives one, else the roster's.
    """
    respondent = _text_column(raw, "respondent")
    at = _positions(respondent, roster_pseudonyms)
    known = at >= 0
    failures = _not_in_roster(
        raw.index[~known], f"the pseudonym matches nobody in the roster of wave {wave} under this key"
    )
    roster_team = _take_text(people["team"], pa.array(at, mask=~known), raw.index)
    team = _text_column(raw, "team").fillna(roster_team) if "team" in raw.columns else roster_team
    return respondent, team, failures


def _check_file_waves(read: Export, wave: str) -> None:
    """A canonical file holds one wave: the one it is ingested as."""
    table = read.table
    waves = table["wave"].dropna().astype("str").str.strip().unique() if "wave" in table.columns else []
    other = sorted(set(waves) - {wave})
    if other:
        raise InputError(
            f"the file holds responses of wave(s) {', '.join(other)}, not only {wave}: "
            "ingest one wave at a time",
            path=read.source,
            column="wave",
        )


def _text_column(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="str")
    text = raw[column].astype("str").str.strip()
    return text.mask(text == "")


def _random_ids(index: pd.Index) -> pd.Series:
    """A fresh random id per row, ``a_`` and 24 hex characters (96 bits from the system's CSPRNG):
    unrelated to anything in the export, so that they link nobody across waves."""
    n = len(index)
    hexed = secrets.token_bytes(12 * n).hex()
    ids = [f"a_{hexed[24 * i : 24 * i + 24]}" for i in range(n)]
    return pd.Series(pd.array(ids, dtype="str"), index=index)


def _positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """The position of each of ``values`` in ``keys`` (unique), -1 when absent or missing: one Arrow
    hash lookup (pandas' isin, map or get_indexer are several times slower on a million strings)."""
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(keys).drop_null())
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _arrow_text(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("str").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _take_text(values: pd.Series, rows: pa.Array, index: pd.Index) -> pd.Series:
    """``values`` (text) at positions ``rows`` (null: missing), by Arrow, without Python objects."""
    taken = pc.take(_arrow_text(values), rows)
    return pd.Series(pd.array(taken, dtype="str"), index=index)


def _join_keys(read: Export, anonymous: bool) -> tuple[str, ...]:
    """The identifying columns used to join the roster, then replaced by the pseudonym (or, in an
    anonymous ingest, dropped unused)."""
    labels = {
        "employee_id": "employee id (replaced by the pseudonym)",
        "email": "email (used to join the roster)",
    }
    if anonymous:
        labels = {"employee_id": "employee id (not used: anonymous)", "email": "email (not used: anonymous)"}
    table = read.table
    return tuple(label for column, label in labels.items() if column in table and table[column].notna().any())


def _not_in_roster(rows: pd.Index, message: str) -> pd.DataFrame:
    """Failures for rows whose respondent is not in the roster (the id itself is withheld)."""
    return pd.DataFrame(
        {
            "row": rows,
            "column": "respondent",
            "rule": "not_in_roster",
            "value": "(withheld)",
            "message": message,
        },
        columns=FAILURE_COLUMNS,
    )


# --------------------------------------------------------------------------- teams and headcounts


def _teams_of_wave(roster: pd.DataFrame | None, wave: str) -> pd.DataFrame | None:
    """An anonymous wave's roster: only ``team`` is needed (headcounts, known teams)."""
    if roster is None:
        return None
    if not isinstance(roster, pd.DataFrame):
        raise TypeError(f"roster must be a DataFrame, got {type(roster).__name__}")
    if "team" not in roster.columns:
        raise InputError(
            "the roster needs a team column; it has " + ", ".join(map(str, roster.columns)), column="team"
        )
    people = roster
    if "wave" in roster.columns:
        people = roster[roster["wave"].astype("str") == wave]
        if people.empty:
            waves = ", ".join(sorted(roster["wave"].dropna().astype("str").unique()))
            raise InputError(f"the roster has no rows for wave {wave} (it has {waves})", column="wave")
    return people


def _known_teams(
    people: pd.DataFrame | None, teams: pd.DataFrame | Iterable[str] | None, units: pd.DataFrame | None
) -> set[str] | None:
    """The teams an anonymous response may name: those in every one of the tables given."""
    sources = []
    if people is not None:
        sources.append(set(people["team"].dropna().astype("str").str.strip()))
    if teams is not None:
        if isinstance(teams, pd.DataFrame):
            if "team" not in teams.columns:
                raise InputError(
                    "the teams table needs a team column; it has " + ", ".join(map(str, teams.columns)),
                    column="team",
                )
            sources.append(set(teams["team"].dropna().astype("str").str.strip()))
        elif isinstance(teams, str):
            raise TypeError("teams must be a DataFrame with a team column or an iterable of team ids")
        else:
            sources.append({str(t).strip() for t in teams})
    if units is not None:
        if not isinstance(units, pd.DataFrame) or not {"unit", "kind"} <= set(units.columns):
            raise InputError("the units table needs the columns unit, parent, kind", column="unit")
        leaves = units.loc[units["kind"].astype("str") == "team", "unit"]
        sources.append(set(leaves.dropna().astype("str").str.strip()))
    return set.intersection(*sources) if sources else None


def _invited(people: pd.DataFrame | None, teams: object, wave: str) -> pd.Series | None:
    """People invited per team in the wave: the roster's rows, else the teams' headcounts."""
    found = headcounts(wave, roster=people, teams=teams if isinstance(teams, pd.DataFrame) else None)
    return None if found is None else found.set_index("team")["invited"]


def _unknown_teams(typed: pd.DataFrame, known: set[str] | None) -> pd.DataFrame:
    """``known_team`` failures of an anonymous wave's responses from teams not given."""
    if known is None:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    team = typed["team"]
    bad = team.notna() & ~team.isin(sorted(known))
    return pd.DataFrame(
        {
            "row": typed.index[bad],
            "column": "team",
            "rule": "known_team",
            "value": team[bad].astype("str").to_numpy(),
            "message": "team not among the teams given (teams table, units or roster)",
        },
        columns=FAILURE_COLUMNS,
    )


def _response_rates(valid: pd.DataFrame, invited: pd.Series | None, min_invited: int) -> pd.DataFrame:
    columns = ["team", "invited", "responses", "response_rate"]
    if invited is None:
        return pd.DataFrame(columns=columns)
    invited = invited.rename("invited")
    responses = valid.groupby("team").size().rename("responses")
    rates = pd.concat([invited, responses], axis=1).fillna(0).astype("int64")
    rates = rates[rates["invited"] >= min_invited]
    rates["response_rate"] = rates["responses"] / rates["invited"]
    return rates.rename_axis("team").reset_index()[columns]
