"""Validation and typing of police.uk rows, as DuckDB SQL over the raw text columns.

Each kind has an ordered list of rules. A row that breaks any rule goes to quarantine with the
first rule it breaks (field, value, reason); every other row is typed and loaded. Everything
here is one vectorised SELECT, so checking costs little more than reading the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

from oversight import config
from oversight.sources.police_uk import vocab
from oversight.sources.police_uk._kinds import OUTCOMES, STOP_SEARCH, STREET, Kind


def q(column: str) -> str:
    """A quoted SQL identifier for a published column name."""
    return '"' + column.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in(values: list[str] | tuple[str, ...]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _shown(column: str) -> str:
    """SQL for "'<value>'" in a reason: the value cut to 80 characters, line breaks as \\r and \\n."""
    value = f"replace(replace(left({q(column)}, 80), chr(13), '\\r'), chr(10), '\\n')"
    return f"'''' || {value} || ''''"


@dataclass(frozen=True)
class Rule:
    field: str
    broken: str  # SQL true when the row breaks the rule (NULL counts as not broken)
    reason: str  # SQL string expression explaining why


def _recode(column: str, renames: dict[str, str]) -> str:
    """SQL mapping older published labels to canonical ones; other values pass through."""
    if not renames:
        return q(column)
    whens = " ".join(f"WHEN {lit(old)} THEN {lit(new)}" for old, new in renames.items())
    return f"CASE {q(column)} {whens} ELSE {q(column)} END"


# --- rules shared by the kinds -------------------------------------------------------------

def _month_rules() -> list[Rule]:
    month = q("Month")
    return [
        Rule("Month", f"{month} IS NULL", "'missing month'"),
        Rule(
            "Month",
            f"NOT regexp_full_match({month}, '\\d{{4}}-\\d{{2}}') OR __d_month IS NULL",
            f"{_shown('Month')} || ' is not a YYYY-MM month'",
        ),
        Rule(
            "Month",
            f"__name_month IS NOT NULL AND {month} <> __name_month",
            f"{_shown('Month')} || ' differs from the month in the file name (' || __name_month || ')'",
        ),
    ]


def _force_rules() -> list[Rule]:
    """A street or outcomes row belongs to the force that reported it.

    'Reported by' names the force whose file it is; 'Falls within' may name another (British
    Transport Police report crimes that fall within every territorial force), so it is not checked.
    __file_force_name is the name of the force from the file name or --force, NULL if neither.
    """
    reported = q("Reported by")
    return [
        Rule(
            "Reported by",
            "__file_force_name IS NULL AND __force IS NULL",
            f"CASE WHEN {reported} IS NULL THEN 'missing Reported by, and the file name gives no force' "
            f"ELSE {_shown('Reported by')} || ' is not a police.uk force name (see ''oversight forces'')' END",
        ),
        Rule(
            "Reported by",
            f"__file_force_name IS NOT NULL AND {reported} IS DISTINCT FROM __file_force_name",
            f"coalesce({_shown('Reported by')}, 'an empty value') || "
            "' is not the force of the file (' || __file_force_name || ')'",
        ),
    ]


def _coordinate_rules() -> list[Rule]:
    lat_min, lat_max, lon_min, lon_max = config.UK_BOUNDS
    lat, lon = q("Latitude"), q("Longitude")
    rules = [
        Rule(
            "Latitude",
            f"({lat} IS NULL) <> ({lon} IS NULL)",
            "'only one of Latitude and Longitude is given'",
        )
    ]
    for col, low, high in (("Latitude", lat_min, lat_max), ("Longitude", lon_min, lon_max)):
        number = f"__d_{col.lower()}"
        rules.append(
            Rule(col, f"{number} IS NULL AND {q(col)} IS NOT NULL", f"{_shown(col)} || ' is not a number'")
        )
        rules.append(
            Rule(
                col,
                f"NOT {number} BETWEEN {low} AND {high}",
                f"{_shown(col)} || ' is outside the UK ({low} to {high})'",
            )
        )
    return rules


def _lsoa_rules() -> list[Rule]:
    return [
        Rule(
            "LSOA code",
            f"NOT regexp_full_match({q('LSOA code')}, '[EW]01\\d{{6}}')",
            f"{_shown('LSOA code')} || ' is not an LSOA code (E01 or W01 and six digits)'",
        )
    ]


def _crime_id_rule(required: bool) -> list[Rule]:
    crime_id = q("Crime ID")
    rules = [
        Rule(
            "Crime ID",
            f"NOT regexp_full_match({crime_id}, '[0-9a-fA-F]{{64}}')",
            f"{_shown('Crime ID')} || ' is not a 64-character police.uk crime id'",
        )
    ]
    if required:
        rules.insert(0, Rule("Crime ID", f"{crime_id} IS NULL", "'missing Crime ID'"))
    return rules


def _choice(column: str, allowed: list[str] | tuple[str, ...], what: str, *, required: bool) -> list[Rule]:
    rules = [Rule(column, f"{q(column)} NOT IN {_in(allowed)}", f"{_shown(column)} || ' is not a known {what}'")]
    if required:
        rules.insert(0, Rule(column, f"{q(column)} IS NULL", f"'missing {what}'"))
    return rules


def _bool(column: str) -> str:
    return f"CASE lower({q(column)}) WHEN 'true' THEN true WHEN 'false' THEN false END"


# The True/False columns of stop and search: (warehouse column, published column).
STOP_SEARCH_BOOLEANS = (
    ("part_of_operation", "Part of a policing operation"),
    ("outcome_linked_to_object", "Outcome linked to object of search"),
    ("removal_of_more_than_outer_clothing", "Removal of more than just outer clothing"),
)


# --- per kind ------------------------------------------------------------------------------

ASB = "Anti-social behaviour"


def street_rules() -> list[Rule]:
    return [
        *_crime_id_rule(required=False),
        Rule(
            "Crime ID",
            f"{q('Crime ID')} IS NULL AND {q('Crime type')} <> {lit(ASB)}",
            "'missing Crime ID (only anti-social behaviour rows may have none)'",
        ),
        *_month_rules(),
        *_force_rules(),
        *_coordinate_rules(),
        *_lsoa_rules(),
        *_choice("Crime type", vocab.crime_types(), "police.uk crime type", required=True),
        Rule(
            "Last outcome category",
            f"__d_outcome NOT IN {_in(list(vocab.crime_outcomes()))}",
            f"{_shown('Last outcome category')} || ' is not a known police.uk outcome category'",
        ),
    ]


def outcome_rules() -> list[Rule]:
    return [
        *_crime_id_rule(required=True),
        *_month_rules(),
        *_force_rules(),
        *_coordinate_rules(),
        *_lsoa_rules(),
        Rule("Outcome type", f"{q('Outcome type')} IS NULL", "'missing outcome type'"),
        Rule(
            "Outcome type",
            f"__d_outcome NOT IN {_in(list(vocab.crime_outcomes()))}",
            f"{_shown('Outcome type')} || ' is not a known police.uk outcome category'",
        ),
    ]


SEARCH_TYPES = ("Person search", "Person and Vehicle search", "Vehicle search")
GENDERS = ("Male", "Female", "Other")
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
OFFICER_ETHNICITIES = ("Asian", "Black", "Mixed", "Other", "White")

# Self-defined ethnicity labels (two census schemes over the years) to the five broad groups
# of Census 2021. 'Chinese' sat with 'Other' in the 2001 scheme and is Asian since 2011.
SELF_DEFINED_GROUP_SQL = f"""CASE
    WHEN {q('Self-defined ethnicity')} IS NULL THEN NULL
    WHEN {q('Self-defined ethnicity')} ILIKE '%not stated%' OR {q('Self-defined ethnicity')} LIKE '%(NS)' THEN NULL
    WHEN {q('Self-defined ethnicity')} ILIKE '%Chinese (O1)'
      OR {q('Self-defined ethnicity')} ILIKE '%- Chinese' THEN 'Asian'
    WHEN {q('Self-defined ethnicity')} LIKE 'White%' THEN 'White'
    WHEN {q('Self-defined ethnicity')} LIKE 'Black%' THEN 'Black'
    WHEN {q('Self-defined ethnicity')} LIKE 'Asian%' THEN 'Asian'
    WHEN {q('Self-defined ethnicity')} LIKE 'Mixed%' THEN 'Mixed'
    WHEN {q('Self-defined ethnicity')} LIKE 'Other ethnic group%'
      OR {q('Self-defined ethnicity')} LIKE 'Chinese or other%' THEN 'Other'
    ELSE '?'
END"""


def stop_search_rules() -> list[Rule]:
    rules = [
        *_choice("Type", SEARCH_TYPES, "search type", required=True),
        Rule("Date", f"{q('Date')} IS NULL", "'missing date'"),
        Rule(
            "Date",
            "__d_occurred_at IS NULL",
            f"{_shown('Date')} || ' is not an ISO 8601 date and time'",
        ),
        Rule(
            "Date",
            "__name_month IS NULL AND __force_month IS NULL",
            "'no month in the file name and the date cannot give one'",
        ),
        *_coordinate_rules(),
        *_choice("Gender", GENDERS, "gender", required=False),
        *_choice("Age range", AGE_RANGES, "age range", required=False),
        *_choice("Officer-defined ethnicity", OFFICER_ETHNICITIES, "officer-defined ethnicity", required=False),
        Rule(
            "Self-defined ethnicity",
            "__d_self_defined_group = '?'",
            f"{_shown('Self-defined ethnicity')} || ' is not a recognised self-defined ethnicity'",
        ),
        Rule(
            "Outcome",
            f"__d_outcome NOT IN {_in(list(vocab.stop_search_outcomes()))}",
            f"{_shown('Outcome')} || ' is not a known stop-and-search outcome'",
        ),
    ]
    for name, column in STOP_SEARCH_BOOLEANS:
        rules.append(
            Rule(column, f"__d_{name} IS NULL AND {q(column)} IS NOT NULL",
                 f"{_shown(column)} || ' is not True or False'")
        )
    return rules


# --- typed output columns, in the order of the warehouse table (before source_file/line) ---

def _crime_record_columns() -> dict[str, str]:
    """Columns street-level and outcome files share, in warehouse order."""
    return {
        "force": "__force",
        "month": "__d_month",
        "crime_id": q("Crime ID"),
        "reported_by": q("Reported by"),
        "falls_within": q("Falls within"),
        "longitude": "__d_longitude",
        "latitude": "__d_latitude",
        "location": q("Location"),
        "lsoa_code": q("LSOA code"),
        "lsoa_name": q("LSOA name"),
    }


def street_columns() -> dict[str, str]:
    return {
        **_crime_record_columns(),
        "crime_type": q("Crime type"),
        "last_outcome": "__d_outcome",
        "last_outcome_published": q("Last outcome category"),
        "context": q("Context"),
    }


def outcome_columns() -> dict[str, str]:
    return {
        **_crime_record_columns(),
        "outcome": "__d_outcome",
        "outcome_published": q("Outcome type"),
    }


def stop_search_columns() -> dict[str, str]:
    return {
        "force": "__force",
        "month": "coalesce(__name_month_date, __force_month)",
        "search_type": q("Type"),
        "occurred_at": "__d_occurred_at",
        "part_of_operation": "__d_part_of_operation",
        "operation_name": q("Policing operation"),
        "latitude": "__d_latitude",
        "longitude": "__d_longitude",
        "gender": q("Gender"),
        "age_range": q("Age range"),
        "self_defined_ethnicity": q("Self-defined ethnicity"),
        "self_defined_group": "__d_self_defined_group",
        "officer_defined_ethnicity": q("Officer-defined ethnicity"),
        "legislation": q("Legislation"),
        "object_of_search": q("Object of search"),
        "outcome": "__d_outcome",
        "outcome_published": q("Outcome"),
        "outcome_linked_to_object": "__d_outcome_linked_to_object",
        "removal_of_more_than_outer_clothing": "__d_removal_of_more_than_outer_clothing",
        "street_name": q("Street name"),
    }


def derived_columns(kind: Kind) -> dict[str, str]:
    """Values both rules and typed columns use (named __d_<name> there), computed once a row."""
    derived = {
        "__d_latitude": f"try_cast({q('Latitude')} AS DOUBLE)",
        "__d_longitude": f"try_cast({q('Longitude')} AS DOUBLE)",
    }
    if kind is STOP_SEARCH:
        return {
            **derived,
            "__d_occurred_at": f"try_cast({q('Date')} AS TIMESTAMPTZ)",
            "__d_self_defined_group": SELF_DEFINED_GROUP_SQL,
            "__d_outcome": _recode("Outcome", vocab.stop_search_outcome_renames()),
            **{f"__d_{name}": _bool(column) for name, column in STOP_SEARCH_BOOLEANS},
        }
    outcome = "Last outcome category" if kind is STREET else "Outcome type"
    return {
        **derived,
        "__d_month": f"try_cast({q('Month')} || '-01' AS DATE)",
        "__d_outcome": _recode(outcome, vocab.crime_outcome_renames()),
    }


RULES = {STREET: street_rules, OUTCOMES: outcome_rules, STOP_SEARCH: stop_search_rules}
COLUMNS = {STREET: street_columns, OUTCOMES: outcome_columns, STOP_SEARCH: stop_search_columns}


def checked_select(
    kind: Kind, source: str, keep: tuple[str, ...] = ("__row_hash",), line: str | None = None
) -> str:
    """A query over `source` giving typed columns plus __rule, __field, __value, __reason, __record.

    `source` must provide the raw text columns of `kind` (missing optional ones as NULL), the
    per-file constants __file, __force, __name_month (and its first day, __name_month_date) and
    __file_force_name (and __force_month for stop and search), and the columns named in `keep`,
    which are passed through with __file.
    __rule is the index of the first broken rule, NULL for a good row. It is computed in an inner
    query so that the per-rule CASE expressions below read it instead of re-evaluating every rule;
    the values rules and typed columns share are computed once, in the query inside that.

    With `line`, SQL for a row's line from __file and __row_number (its position in `source`),
    rows are numbered and __line is passed through. The numbering sits above the shared values,
    which also keeps a filter on __rule from being pushed below them (where it would compute
    them a second time).
    """
    rules = RULES[kind]()
    first_broken = "CASE " + " ".join(f"WHEN {r.broken} THEN {i}" for i, r in enumerate(rules)) + " END"

    def by_rule(parts: list[str]) -> str:
        return "CASE __rule " + " ".join(f"WHEN {i} THEN {p}" for i, p in enumerate(parts)) + " END"

    # Typed columns are named __c_<name> inside: DuckDB names are case-insensitive, so 'month'
    # would otherwise collide with the published 'Month'.
    typed = ", ".join(f"{sql} AS __c_{name}" for name, sql in COLUMNS[kind]().items())
    derived = ", ".join(f"{sql} AS {name}" for name, sql in derived_columns(kind).items())
    values = f"SELECT *, {derived} FROM ({source})"
    if line is not None:
        values = f"SELECT *, {line} AS __line FROM (SELECT *, row_number() OVER () AS __row_number FROM ({values}))"
        keep = (*keep, "__line")
    record = "to_json({" + ", ".join(f"{lit(c)}: {q(c)}" for c in kind.known) + "})"
    return f"""SELECT __rule, {", ".join(f"__c_{name} AS {name}" for name in COLUMNS[kind]())},
        {by_rule([lit(r.field) for r in rules])} AS __field,
        {by_rule([q(r.field) for r in rules])} AS __value,
        {by_rule([r.reason for r in rules])} AS __reason,
        CASE WHEN __rule IS NOT NULL THEN {record} END AS __record,
        {", ".join(("__file", *keep))}
    FROM (SELECT *, {first_broken} AS __rule, {typed} FROM ({values}))"""
