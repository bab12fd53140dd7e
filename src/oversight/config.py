"""Settings: every default the product uses, in one place.

Each setting is a `Setting(name, default, help)`. The CLI and `docs/settings.md` read this
list, and a test fails when one is undocumented.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


MPS_FORCE = "metropolitan"
"""The force the series published by the MPS and MOPAC describe (recorded crime, the Public Attitude
Survey, homicides), whichever force a site or report is about."""

# Latitude min and max, longitude min and max (the setting 'uk_bounds').
UK_BOUNDS: tuple[float, float, float, float] = (49.8, 60.9, -8.7, 1.8)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "warehouse",
        "oversight.duckdb",
        "Path of the DuckDB warehouse file. Overridden by --warehouse, then by the "
        "OVERSIGHT_WAREHOUSE environment variable.",
    ),
    Setting(
        "default_force",
        "metropolitan",
        "police.uk force id the platform is configured for (London: 'metropolitan').",
    ),
    Setting(
        "uk_bounds",
        UK_BOUNDS,
        "Latitude min/max and longitude min/max that a police.uk coordinate must fall in; "
        "a coordinate outside is quarantined (police.uk covers England, Wales and Northern Ireland).",
    ),
    Setting(
        "local_timezone",
        "Europe/London",
        "Time zone used to read stop-and-search times (published in UTC) as local times.",
    ),
    Setting(
        "partial_month_days",
        3,
        "A month is flagged partial when its first or last dated record is more than this many "
        "days inside the month.",
    ),
    Setting(
        "partial_month_ratio",
        0.5,
        "A month is flagged partial when it has fewer rows than this share of the median month "
        "for the same force and dataset.",
    ),
    Setting(
        "build_memory_limit",
        "2GB",
        "Memory the whole 'oversight build' process may use (DuckDB's way of writing sizes: 2GB is "
        "2 x 10^9 bytes). DuckDB gets 60% of it for the measure SQL and 20% for the statistics, and "
        "spills what does not fit to disk; the rest holds Python and one part of the statistics "
        "(finish_chunk_rows).",
    ),
    Setting(
        "finish_chunk_rows",
        1_000_000,
        "'oversight build' computes the statistics of the measures table in parts of about this many "
        "rows: whole series (a measure's area and group) for intervals, comparisons and SPC, whole "
        "(measure, force) pieces for secondary suppression. The build's peak memory follows it.",
    ),
    Setting(
        "survey_design_effect",
        1.0,
        "Design effect assumed for published survey proportions (the Public Attitude Survey): "
        "intervals and comparisons use n / design effect respondents. 1.0 treats the survey as a "
        "simple random sample, which understates the uncertainty of a clustered, weighted survey; "
        "the value used is printed beside every survey interval.",
    ),
    Setting(
        "spc_window_months",
        36,
        "SPC limits and signals use each monthly series' last this many months (ending at its latest "
        "month not flagged for quality). Over a decade a series drifts, and limits around a long-run "
        "mean would call most recent months special cause; older months get no SPC reading.",
    ),
    Setting(
        "secondary_suppression",
        "exact",
        "Hide further figures of additive measures where a suppressed figure could otherwise be "
        "worked out from published totals and other groups, areas or periods (docs/methods.md): "
        "'exact' checks each table of an area, its parts and its groups exactly, and each time "
        "relation by subtraction; 'subtraction' only until no relation has exactly one hidden "
        "figure (faster); 'off'.",
    ),
    Setting(
        "suppress_below",
        10,
        "Figures resting on fewer than this many records (or survey respondents) are suppressed "
        "in every public output, with the reason shown.",
    ),
    Setting(
        "records_database",
        "sqlite:///oversight-records.sqlite",
        "SQLAlchemy URL of the records database (custody visiting and other oversight records): "
        "SQLite embedded by default; 'postgresql+psycopg://user:password@host/name' in production. "
        "Overridden by --records-database, then by the OVERSIGHT_RECORDS_DATABASE environment variable.",
    ),
    Setting(
        "records_secret_file",
        "~/.config/oversight/records-secret",
        "File holding the records service's secret key (signs CSRF tokens), made with a random key "
        "and mode 0600 on first use. The OVERSIGHT_SECRET_KEY environment variable, when set, is used instead. "
        "Never inside the repository.",
    ),
    Setting(
        "records_session_hours",
        8,
        "A records login lasts this many hours from its last request, then asks for the password again.",
    ),
    Setting(
        "records_login_attempts",
        5,
        "Failed records logins allowed for one user name, or from one address, in 15 minutes; "
        "further attempts are refused (429) until the window passes.",
    ),
    Setting(
        "records_secure_cookie",
        True,
        "Send the records session cookie only over HTTPS (browsers treat http://localhost as secure). "
        "Turn off only behind a proxy that cannot pass HTTPS through, never on a public address.",
    ),
    Setting(
        "records_retention_days",
        2190,
        "Visit reports, issues and rota entries older than this many days (six years) are deleted by "
        "'oversight records purge'; the audit log keeps that they existed.",
    ),
    Setting(
        "complaint_review_target_days",
        56,
        "Target for deciding a complaint review or a complaint about the chief officer: days from the "
        "request received to the decision. The office's own choice, no national standard: the timeliness "
        "measure gives the share of cases decided within it.",
    ),
    Setting(
        "complaint_retention_days",
        2190,
        "Complaint cases decided more than this many days ago (six years) are reduced by "
        "'oversight records purge' to what the statistics need (kind, dates, decision, borough): "
        "the force's complaint number, the reviewer and the recommendation text are removed.",
    ),
    Setting(
        "grants_return_due_days",
        30,
        "A provider's quarterly return for a grant is due this many days after the quarter ends; a return "
        "not submitted by then is missing, and one submitted after it is late.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}

WAREHOUSE_ENV = "OVERSIGHT_WAREHOUSE"
RECORDS_DATABASE_ENV = "OVERSIGHT_RECORDS_DATABASE"
SECRET_KEY_ENV = "OVERSIGHT_SECRET_KEY"


_CHOSEN: dict[str, object] = {}
"""Settings chosen for this run (`choose`), e.g. by `oversight --force`; they win over the defaults."""


def default(name: str) -> object:
    """The value of a named setting for this run: as chosen (`choose`), else its default."""
    setting = _BY_NAME[name]
    return _CHOSEN.get(name, setting.default)


def choose(name: str, value: object) -> None:
    """Use `value` for setting `name` for the rest of this run."""
    if name not in _BY_NAME:
        raise KeyError(f"there is no setting {name!r}")
    _CHOSEN[name] = value


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where the warehouse lives: the explicit path, else $OVERSIGHT_WAREHOUSE, else the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env)
    return Path(str(default("warehouse")))


def records_database(explicit: str | None = None) -> str:
    """The records database URL: the explicit one, else $OVERSIGHT_RECORDS_DATABASE, else the default."""
    return explicit or os.environ.get(RECORDS_DATABASE_ENV) or str(default("records_database"))


_SIZE_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_bytes(size: str) -> int:
    """A memory size as DuckDB writes it ('2GB' is 2 x 10^9 bytes, '2GiB' 2 x 2^30) in bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", size, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"not a memory size: {size!r} (write e.g. 2GB or 1.5GiB)")
    return int(float(match[1]) * _SIZE_UNITS[match[2].upper()])
