"""Survey and research toolkit for manager 1:1 meetings.

The public API is named here once; everything else is private to its module. The folders follow
the pipeline (see ARCHITECTURE.md): ``survey/`` (the survey as code), ``ingest/`` and ``store``,
``stats/``, ``privacy/``, ``report/``, ``forms/``, ``simulate/``; :func:`run_quarter` chains them.

>>> import toolkit
>>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
>>> schema = toolkit.response_schema(survey)
"""

from toolkit.errors import InputError, SecretKeyError, StoreError, SurveyError, ToolkitError, UnitsError
from toolkit.forms import FORMATS as FORM_FORMATS
from toolkit.forms import export_form, to_html, to_limesurvey_tsv, to_qualtrics_txt, to_xlsform
from toolkit.ingest import IngestResult, ingest, read_canonical, read_export
from toolkit.ingest.batch import ingest_exports
from toolkit.ingest.careless import careless_failures, careless_flags
from toolkit.privacy.comments import release_comments
from toolkit.privacy.disclosure import load_policy, release
from toolkit.privacy.extract import Extract, research_extract, write_extract
from toolkit.privacy.pseudonym import load_key, pseudonymise
from toolkit.privacy.publish import Published, read_release, release_store, write_release
from toolkit.privacy.scrub import scrub_text
from toolkit.quarter import QuarterResult, run_quarter
from toolkit.report import (
    Reports,
    manager_report,
    organisation_report,
    write_manager_reports,
    write_organisation_report,
    write_reports,
)
from toolkit.simulate import SimulatedOrg, simulate
from toolkit.stats.agreement import agreement, icc, rwg
from toolkit.stats.cadence import cadence_omnibus, compare_cadence, moderation
from toolkit.stats.describe import (
    cadence_means,
    ingest_summary,
    naive_comparison,
    quarantine_reasons,
    screening,
    team_mean_verdict,
)
from toolkit.stats.invariance import cadence_invariance, invariance, invariance_verdict, supported_level
from toolkit.stats.measurement import measurement_summary
from toolkit.stats.policy import team_policy
from toolkit.stats.power import power, simulated_power
from toolkit.stats.psychometrics import construct_correlations, item_statistics, loadings, reliability
from toolkit.stats.scoring import item_block, score, summarise
from toolkit.stats.steps import compare_store, score_store, team_covariates
from toolkit.stats.switches import Switches, cadence_switches
from toolkit.store import load_quarantine, load_waves, store_wave
from toolkit.study import Study, Truth, load_study, load_truth, study_key
from toolkit.survey import Survey, load_survey
from toolkit.survey.codebook import codebook, write_codebook
from toolkit.survey.schema import canonical_dtypes, response_schema
from toolkit.survey.validate import Validation, validate
from toolkit.survey.versions import comparable_constructs, comparable_items, diff_surveys, format_diff
from toolkit.units import Units, ancestor, headcounts

__all__ = [
    "FORM_FORMATS",
    "Extract",
    "IngestResult",
    "InputError",
    "Published",
    "QuarterResult",
    "Reports",
    "SecretKeyError",
    "SimulatedOrg",
    "StoreError",
    "Study",
    "Survey",
    "SurveyError",
    "Switches",
    "ToolkitError",
    "Truth",
    "Units",
    "UnitsError",
    "Validation",
    "agreement",
    "ancestor",
    "cadence_invariance",
    "cadence_means",
    "cadence_omnibus",
    "cadence_switches",
    "canonical_dtypes",
    "careless_failures",
    "careless_flags",
    "codebook",
    "comparable_constructs",
    "comparable_items",
    "compare_cadence",
    "compare_store",
    "construct_correlations",
    "diff_surveys",
    "export_form",
    "format_diff",
    "headcounts",
    "icc",
    "ingest",
    "ingest_exports",
    "ingest_summary",
    "invariance",
    "invariance_verdict",
    "item_block",
    "item_statistics",
    "load_key",
    "load_policy",
    "load_quarantine",
    "load_study",
    "load_survey",
    "load_truth",
    "load_waves",
    "loadings",
    "manager_report",
    "measurement_summary",
    "moderation",
    "naive_comparison",
    "organisation_report",
    "power",
    "pseudonymise",
    "quarantine_reasons",
    "read_canonical",
    "read_export",
    "read_release",
    "release",
    "release_comments",
    "release_store",
    "reliability",
    "research_extract",
    "response_schema",
    "run_quarter",
    "rwg",
    "score",
    "score_store",
    "screening",
    "scrub_text",
    "simulate",
    "simulated_power",
    "store_wave",
    "study_key",
    "summarise",
    "supported_level",
    "team_covariates",
    "team_mean_verdict",
    "team_policy",
    "to_html",
    "to_limesurvey_tsv",
    "to_qualtrics_txt",
    "to_xlsform",
    "validate",
    "write_codebook",
    "write_extract",
    "write_manager_reports",
    "write_organisation_report",
    "write_release",
    "write_reports",
]

__version__ = "0.1.0"
