"""police.uk record-level files: street-level crime, outcomes, stop and search."""

from oversight.sources.police_uk.load import FileReport, IngestReport, ingest_police_uk

__all__ = ["FileReport", "IngestReport", "ingest_police_uk"]
