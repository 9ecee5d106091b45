"""Reading platform exports into the canonical response table, and ingesting them as waves.

One reader per platform (Qualtrics, Google Forms and Sheets, Microsoft Forms, LimeSurvey,
KoboToolbox) plus canonical CSV/Parquet, chosen by content (:func:`read_export`); the
pipeline (:func:`ingest`) pseudonymises, validates, quarantines and stores a wave.
"""

from toolkit.ingest.canonical import read_canonical
from toolkit.ingest.export import FORMATS, Export, detect_format, read_export
from toolkit.ingest.google_forms import read_google_forms
from toolkit.ingest.kobo import read_kobo
from toolkit.ingest.limesurvey import read_limesurvey
from toolkit.ingest.msforms import read_msforms
from toolkit.ingest.pipeline import IngestResult, ingest
from toolkit.ingest.qualtrics import read_qualtrics

__all__ = [
    "FORMATS",
    "Export",
    "IngestResult",
    "detect_format",
    "ingest",
    "read_canonical",
    "read_export",
    "read_google_forms",
    "read_kobo",
    "read_limesurvey",
    "read_msforms",
    "read_qualtrics",
]
