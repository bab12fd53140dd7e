"""Settings: every default the product uses, in one place.

Each setting is a `Setting(name, default, help)`. The CLI and `docs/settings.md` read this
list, and a test fails when one is undocumented.
"""

from __future__ import annotations

import os
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
        "DuckDB memory limit while 'oversight build' runs (loads keep 600MB, to stay under 1 GiB). "
        "The build joins and ranks the whole measures table; with less, national-scale builds "
        "spill to disk or fail.",
    ),
    Setting(
        "finish_chunk_rows",
        1_000_000,
        "'oversight build' computes intervals, comparisons, suppression and SPC for whole measures at "
        "a time, in chunks of about this many rows of the measures table (a bigger measure on its "
        "own). The build's peak memory follows the largest chunk.",
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
