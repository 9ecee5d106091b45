"""Reports rendered only from the release: one HTML file per manager, and the analyst's heatmap."""

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
    "manager_report",
    "organisation_report",
    "weakest_constructs",
    "write_manager_reports",
    "write_organisation_report",
]
