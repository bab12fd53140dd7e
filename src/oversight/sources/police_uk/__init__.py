"""police.uk record-level files: street-level crime, outcomes, stop and search."""

from oversight.sources.police_uk.load import ingest_police_uk
from oversight.sources.report import FileReport, IngestReport

__all__ = ["FileReport", "IngestReport", "ingest_police_uk"]
