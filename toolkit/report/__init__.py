"""Reports rendered only from the release: one HTML file per manager, a leader's unit report, the
analyst's heatmap (and the study summary, in :mod:`toolkit.report.summary`)."""

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
from toolkit.report.unit import unit_report

__all__ = [
    "DIRECTION",
    "PROMPTS",
    "Reports",
    "manager_report",
    "organisation_report",
    "unit_report",
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
    pdf: bool = False,
) -> Reports:
    """Every report of a wave: one per team (:func:`write_manager_reports`, with ``manifest.csv``)
    and the organisation heatmap (:func:`write_organisation_report`), into ``out_dir``.

    With ``pdf=True`` each team's report is also printed to ``<team>.pdf`` beside its HTML by
    headless Chromium (:mod:`toolkit.report.pdf`), and the manifest gets a ``pdf`` column.

    Raises
    ------
    InputError
        When ``wave`` is not a wave of the release, or ``pdf`` is asked for and there is no
        Chromium (checked before anything is written).
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
    browser = None
    if pdf:
        from toolkit.report.pdf import require_chromium

        browser = require_chromium()
    out = Path(out_dir)
    manifest = write_manager_reports(
        release, survey, units, wave=wave, out_dir=out, managers=managers, policy=policy, comments=comments
    )
    organisation = write_organisation_report(release, survey, units, wave=wave, out_dir=out, policy=policy)
    if browser is not None:
        from toolkit._io import atomic_write_text
        from toolkit.report.pdf import write_pdfs

        pdfs = write_pdfs([out / f for f in manifest["file"]], chromium=browser)
        manifest = manifest.assign(pdf=pd.array([p.name for p in pdfs], dtype="str"))
        atomic_write_text(out / "manifest.csv", manifest.to_csv(index=False))
    return Reports(wave, manifest, {"manifest": out / "manifest.csv", "organisation": organisation})
