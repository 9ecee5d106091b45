"""The survey as code: its definition (YAML), the validation schema, the codebook, versions.

- :mod:`toolkit.survey.definition`: :class:`Survey` and :func:`load_survey` (the YAML parser's
  rules live in :mod:`toolkit.survey._yaml`);
- :mod:`toolkit.survey.schema`: the pandera schema of the canonical response table;
- :mod:`toolkit.survey.validate`: validation of a table against it, with quarantine and reasons;
- :mod:`toolkit.survey.codebook`: the codebook (CSV and Markdown) and ``schema.md``;
- :mod:`toolkit.survey.versions`: what changed between two versions, what stays comparable.
"""

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
    as_survey,
    load_survey,
    parse_survey,
)

__all__ = [
    "CADENCE_CODES",
    "METADATA_COLUMNS",
    "ROLES",
    "SINGLE_ROLES",
    "Choice",
    "Condition",
    "Construct",
    "Item",
    "Lineage",
    "Scale",
    "Survey",
    "as_survey",
    "load_survey",
    "parse_survey",
]
