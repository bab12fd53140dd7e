"""The rules for one row of a partner file: each cell is checked, typed, or the row is rejected.

`check_row` never raises on text it is given: it returns a typed `PartnerRow` or the first
rule the row breaks, as a `Rejected`. Rules are checked in the order listed under "What is
checked" in docs/partner-data.md, so the reported field is predictable.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from oversight.sources.police_uk import vocab
from oversight.sources.reference.dataset import Rejected

# The header, in the documented order (docs/partner-data.md); the table adds source_line, source_file.
COLUMNS: tuple[str, ...] = (
    "measure", "period_type", "period_start", "period_end", "area_level", "area_code", "breakdown",
    "numerator", "denominator", "value", "sample_size", "source", "notes",
)

# The period ids of the measures table (oversight.measures), so partner rows join measure rows as they are.
PERIOD_TYPES: tuple[str, ...] = ("month", "fy_quarter", "financial_year", "calendar_year", "rolling_12")
# Longer spellings a partner may write; stored as the id they stand for.
PERIOD_ALIASES: dict[str, str] = {"quarter": "fy_quarter", "rolling_12_months": "rolling_12"}
_PERIOD_NAME = {"month": "month", "fy_quarter": "financial-year quarter", "financial_year": "financial year",
                "calendar_year": "calendar year", "rolling_12": "rolling 12 months"}
AREA_LEVELS: tuple[str, ...] = ("force", "bcu", "borough", "ward")

MEASURE_MAX_LENGTH = 64
# Partner series start with the earliest national victim and justice surveys; a later year than
# next year is a typing slip (9999 as "no end"), and would break every period derived from it (#7).
FIRST_PARTNER_YEAR = 1990
# Above this a "sample size" is a typing slip, and it would not fit the BIGINT column either.
SAMPLE_SIZE_MAX = 1_000_000_000

_MEASURE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[0-9]+")
_DIMENSION = re.compile(r"[a-z][a-z0-9_]*")
_DIMENSION_VALUE = re.compile(r"[^;=\s](?:[^;=]*[^;=\s])?")
_PFA_CODE = re.compile(r"(?:E23|W15)[0-9]{6}")
_BOROUGH_CODE = re.compile(r"(?:E06|E07|E08|E09|W06)[0-9]{6}")
_WARD_CODE = re.compile(r"[EW]05[0-9]{6}")
_BCU_CODE = re.compile(r"[A-Z]{2,4}")

_AREA_CODE_RULE = {
    "force": "a police.uk force id (e.g. 'metropolitan') or a police force area code (E23 or W15 and six digits)",
    "bcu": "a BCU short code of 2 to 4 capital letters (e.g. 'AS')",
    "borough": "a local authority code (E06, E07, E08, E09 or W06 and six digits, e.g. E09000022)",
    "ward": "a ward code (E05 or W05 and six digits)",
}

_PERIOD_RULE = {
    "month": "a month runs from the 1st to the last day of one month",
    "fy_quarter": "a financial-year quarter starts on 1 April, 1 July, 1 October or 1 January "
               "and ends on the last day of its third month",
    "financial_year": "a financial year runs from 1 April to 31 March",
    "calendar_year": "a calendar year runs from 1 January to 31 December",
    "rolling_12": "a rolling 12 months starts on the 1st of a month and ends on the last day of its 12th month",
}


@dataclass(frozen=True)
class PartnerRow:
    """One valid row, typed as in the `partner_series` table (less source_file)."""

    measure: str
    period_type: str
    period_start: date
    period_end: date
    area_level: str
    area_code: str
    breakdown: str
    numerator: float | None
    denominator: float | None
    value: float | None
    sample_size: int | None
    source: str
    notes: str | None
    source_line: int

    @property
    def key(self) -> tuple[str, date, date, str, str, str]:
        """What one row may say only once: measure, period, area and breakdown."""
        return (self.measure, self.period_start, self.period_end, self.area_level, self.area_code, self.breakdown)


class _Broken(Exception):
    """Internal: one rule broken by one cell; turned into a `Rejected` by `check_row`."""

    def __init__(self, field: str, value: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason = field, value, reason


def check_row(cells: Mapping[str, str | None], line: int) -> PartnerRow | Rejected:
    """Type one row (column name -> cell text) read at `line`, or say which rule it breaks first."""
    text = {name: (cells.get(name) or "").strip() for name in COLUMNS}
    try:
        return _typed(text, line)
    except _Broken as broken:
        return Rejected(line=line, field=broken.field, value=broken.value or None, reason=broken.reason,
                        record=dict(cells))


def _typed(text: dict[str, str], line: int) -> PartnerRow:
    measure = _measure(text["measure"])
    start = _date("period_start", text["period_start"])
    end = _date("period_end", text["period_end"])
    if end < start:
        raise _Broken("period_end", text["period_end"], f"period_end {end} is before period_start {start}")
    _within_partner_years("period_start", start)
    _within_partner_years("period_end", end)
    period_type = _period_type(text["period_type"], start, end)
    area_level = _one_of("area_level", text["area_level"], AREA_LEVELS, "area level")
    area_code = _area_code(area_level, text["area_code"])
    breakdown = _breakdown(text["breakdown"])
    numerator = _number("numerator", text["numerator"])
    denominator = _number("denominator", text["denominator"])
    value = _number("value", text["value"])
    sample_size = _sample_size(text["sample_size"])
    value = _combination(numerator, denominator, value, text["value"])
    if not text["source"]:
        raise _Broken("source", None, "missing source (who published the figures)")
    return PartnerRow(
        measure=measure, period_type=period_type, period_start=start, period_end=end, area_level=area_level,
        area_code=area_code, breakdown=breakdown, numerator=numerator, denominator=denominator, value=value,
        sample_size=sample_size, source=text["source"], notes=text["notes"] or None, source_line=line,
    )


def _required(field: str, cell: str) -> str:
    if not cell:
        raise _Broken(field, None, f"missing {field}")
    return cell


def _measure(cell: str) -> str:
    _required("measure", cell)
    if not _MEASURE.fullmatch(cell) or len(cell) > MEASURE_MAX_LENGTH:
        raise _Broken("measure", cell, f"'{cell}' is not a measure id (lowercase letters and digits joined by "
                                       f"single underscores, starting with a letter, at most {MEASURE_MAX_LENGTH} "
                                       "characters, e.g. victim_satisfaction)")
    return cell


def _date(field: str, cell: str) -> date:
    _required(field, cell)
    if _ISO_DATE.fullmatch(cell):
        try:
            return date.fromisoformat(cell)
        except ValueError:
            pass
    raise _Broken(field, cell, f"'{cell}' is not a date written YYYY-MM-DD")


def last_partner_year() -> int:
    """Next year: a partner file may carry figures for the current financial year's end."""
    return date.today().year + 1


def _within_partner_years(field: str, day: date) -> None:
    if not FIRST_PARTNER_YEAR <= day.year <= last_partner_year():
        raise _Broken(field, day.isoformat(), f"{day} is outside the years partner figures may cover "
                                              f"({FIRST_PARTNER_YEAR} to {last_partner_year()})")


def _months_spanned(start: date, end: date) -> int | None:
    """Whole months from the 1st of start's month to the last day of end's month, else None."""
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_types_of(start: date, end: date) -> list[str]:
    """Every period type the dates fit, most specific first (a 1 April-31 March year is also rolling)."""
    months = _months_spanned(start, end)
    fits: list[str] = []
    if months == 1:
        fits.append("month")
    elif months == 3 and start.month in (1, 4, 7, 10):
        fits.append("fy_quarter")
    elif months == 12:
        if start.month == 4:
            fits.append("financial_year")
        elif start.month == 1:
            fits.append("calendar_year")
        fits.append("rolling_12")
    return fits


def _period_type(cell: str, start: date, end: date) -> str:
    fits = period_types_of(start, end)
    if cell:
        kind = _one_of("period_type", PERIOD_ALIASES.get(cell, cell), PERIOD_TYPES, "period type", shown=cell)
        if kind not in fits:
            raise _Broken("period_type", cell, f"{start} to {end} is not a {_PERIOD_NAME[kind]}: "
                                               f"{_PERIOD_RULE[kind]}")
        return kind
    if not fits:
        if start.day != 1:
            raise _Broken("period_start", str(start), f"{start} is not the 1st of a month; every period starts "
                                                      "on the 1st")
        if not _months_spanned(start, end):
            raise _Broken("period_end", str(end), f"{end} is not the last day of a month; every period ends on "
                                                  "the last day of a month")
        raise _Broken("period_end", str(end), f"{start} to {end} is not a month, financial-year quarter, "
                                              "financial year, calendar year or rolling 12 months")
    return fits[0]


def _one_of(field: str, cell: str, allowed: tuple[str, ...], what: str, shown: str | None = None) -> str:
    _required(field, cell)
    if cell not in allowed:
        shown = cell if shown is None else shown
        raise _Broken(field, shown, f"'{shown}' is not a known {what}; use one of {', '.join(allowed)}")
    return cell


@cache
def _force_ids() -> frozenset[str]:
    return frozenset(vocab.forces())


def _area_code(level: str, cell: str) -> str:
    _required("area_code", cell)
    checks: dict[str, Callable[[str], object]] = {
        "force": lambda c: c in _force_ids() or _PFA_CODE.fullmatch(c),
        "bcu": _BCU_CODE.fullmatch,
        "borough": _BOROUGH_CODE.fullmatch,
        "ward": _WARD_CODE.fullmatch,
    }
    ok = checks[level](cell)
    if not ok:
        raise _Broken("area_code", cell, f"'{cell}' is not a {level} code: expected {_AREA_CODE_RULE[level]}")
    return cell


def _breakdown(cell: str) -> str:
    """'all', or dimension=value pairs joined by ';' and put in dimension order; raises _Broken."""
    _required("breakdown", cell)
    if cell == "all":
        return cell
    pairs: dict[str, str] = {}
    for part in cell.split(";"):
        dimension, sep, value = part.partition("=")
        if not (sep and _DIMENSION.fullmatch(dimension) and _DIMENSION_VALUE.fullmatch(value)):
            raise _Broken("breakdown", cell, f"'{cell}' is not 'all' or dimension=value[;dimension=value...] "
                                             "(dimension in lowercase letters, digits and _; value without "
                                             "';', '=' or surrounding spaces)")
        if dimension in pairs:
            raise _Broken("breakdown", cell, f"'{cell}' gives dimension '{dimension}' twice")
        pairs[dimension] = value
    return ";".join(f"{d}={pairs[d]}" for d in sorted(pairs))


def _number(field: str, cell: str) -> float | None:
    if not cell:
        return None
    if not _NUMBER.fullmatch(cell):
        hint = "; write proportions on the 0-1 scale, without %" if cell.endswith("%") else (
            "; write it without thousands separators" if "," in cell else "")
        raise _Broken(field, cell, f"'{cell}' is not a number{hint}")
    number = float(cell)
    if not math.isfinite(number):
        raise _Broken(field, cell, f"'{cell}' is too large")
    if number < 0:
        raise _Broken(field, cell, f"'{cell}' is negative; {field} cannot be below 0")
    return number


def _sample_size(cell: str) -> int | None:
    if not cell:
        return None
    if not _WHOLE.fullmatch(cell):
        raise _Broken("sample_size", cell, f"'{cell}' is not a whole number of respondents")
    size = int(cell)
    if not 1 <= size <= SAMPLE_SIZE_MAX:
        raise _Broken("sample_size", cell, f"'{cell}' is not a plausible sample size (1 to {SAMPLE_SIZE_MAX:,})")
    return size


def _decimals(cell: str) -> int | None:
    """Decimal places written in a plain number ('0.73' -> 2); None for exponent notation."""
    if "e" in cell.lower():
        return None
    return len(cell.partition(".")[2])


def _combination(
    numerator: float | None, denominator: float | None, value: float | None, value_text: str
) -> float | None:
    """`value` as given, once the figures are one of the valid combinations (docs/partner-data.md).

    Counts and proportions keep value empty unless the file published one: the measure's unit
    decides how numerator and denominator become a figure (a share, a rate per 1,000)."""
    if numerator is None:
        if denominator is not None:
            raise _Broken("numerator", None, "denominator given without a numerator; a proportion needs both")
        if value is None:
            raise _Broken("value", None, "no figure: give value, or numerator, or numerator and denominator")
        return value
    if denominator is None:
        if value is not None:
            raise _Broken("value", value_text, "value given with a numerator but no denominator; a count goes "
                                               "in numerator alone")
        return None
    if denominator == 0:
        raise _Broken("denominator", "0", "denominator is 0; a proportion needs a denominator above 0")
    if numerator > denominator:
        raise _Broken("numerator", _plain(numerator), f"numerator {_plain(numerator)} is greater than "
                                                      f"denominator {_plain(denominator)}")
    share = numerator / denominator
    if value is not None:
        decimals = _decimals(value_text)
        # The published value is usually rounded: it must agree with n/d to the places it shows.
        tolerance = 1e-9 if decimals is None else 0.5 * 10.0 ** -decimals + 1e-12
        if abs(value - share) > tolerance:
            raise _Broken("value", value_text, f"value {value_text} does not match numerator/denominator = "
                                               f"{share:.6g} (proportions are on the 0-1 scale)")
    return value


def _plain(number: float) -> str:
    return f"{number:.15g}"
