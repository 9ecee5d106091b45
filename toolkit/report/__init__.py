"""Reports rendered only from the release: one HTML file per manager, and the analyst's heatmap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.report.manager import (
    DIRECTION,
    PROMPTS,
    manager_report,
    weakest_constructs,
    write_manager_reports,
)
from toolkit.report.organisation import organisation_report, write_organisation_report

__all__ = [
    "DIRECTION",
    "PROMPTS",
    "Reports",
    "manager_report",
    "organisation_report",
    "weakest_constructs",
    "write_manager_reports",
    "write_organisation_report",
    "write_reports",
]


@dataclass
class Reports:
    """What :func:`write_reports` wrote: the manifest of the manager reports, and the paths."""

    wave: str
    manifest: pd.DataFrame
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def shown(self) -> int:
        """Reports that show their team's own results (the others are below the threshold)."""
        return (
            int((~self.manifest["suppressed"]).sum()) if "suppressed" in self.manifest else len(self.manifest)
        )


def write_reports(
    release: pd.DataFrame,
    survey,
    units,
    *,
    wave: str,
    out_dir: str | Path,
    managers: pd.DataFrame | None = None,
    policy: Mapping | str | Path | None = None,
    comments: pd.DataFrame | None = None,
) -> Reports:
    """Every report of a wave: one per team (:func:`write_manager_reports`, with ``manifest.csv``)
    and the organisation heatmap (:func:`write_organisation_report`), into ``out_dir``.

    Raises
    ------
    InputError
        When ``wave`` is not a wave of the release.
    """
    from toolkit.errors import InputError

    col = release["wave"]
    waves = (
        [str(w) for w in col.cat.categories]
        if isinstance(col.dtype, pd.CategoricalDtype)
        else sorted({str(w) for w in pd.unique(col)})
    )
    if wave not in waves:
        raise InputError(f"wave {wave} is not in the store (it has {', '.join(waves)})")
    out = Path(out_dir)
    manifest = write_manager_reports(
        release, survey, units, wave=wave, out_dir=out, managers=managers, policy=policy, comments=comments
    )
    organisation = write_organisation_report(release, survey, units, wave=wave, out_dir=out, policy=policy)
    return Reports(wave, manifest, {"manifest": out / "manifest.csv", "organisation": organisation})
