"""Import of a grants register from CSV or XLSX: every row checked, every bad row named (file, row,
field, reason), and nothing loaded unless every row is good (all or nothing: a register is one
decision, and half of it loaded would publish totals that match neither the old register nor the new).

Columns (header row first; names as below, any order; extra columns are refused so a typo is seen):
reference, title, provider, fund, programme, priority, boroughs, amount, starts_on, ends_on,
milestones, and up to three measures: measure_N, measure_N_kind (output or outcome), measure_N_target
(a whole number, or empty for no target)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.errors import OversightError
from oversight.records.grants import money
from oversight.records.grants.models import (
    Fund,
    Grant,
    GrantBorough,
    GrantMeasure,
    MeasureKind,
    Programme,
    Provider,
)

MEASURES = 3
REQUIRED = ("reference", "title", "provider", "fund", "priority", "boroughs", "amount", "starts_on", "ends_on")
OPTIONAL = ("programme", "milestones",
            *(f"measure_{n}{suffix}" for n in range(1, MEASURES + 1) for suffix in ("", "_kind", "_target")))
COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 5000

LONDON_BOROUGHS = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing", "Enfield",
    "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow", "Havering", "Hillingdon", "Hounslow",
    "Islington", "Kensington and Chelsea", "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham",
    "Redbridge", "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest", "Wandsworth",
    "Westminster",
)
"""The 32 London boroughs (the City of London is policed by its own force, so MOPAC's grants do not serve it)."""
ALL_BOROUGHS = "All London boroughs"
_BOROUGH_KEYS = {b.lower(): b for b in LONDON_BOROUGHS}


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, {self.field}: {self.reason}"


class RegisterRejected(OversightError):
    """A register with bad rows: nothing was loaded. `errors` names each."""

    status = 422

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the register; nothing was loaded")


@dataclass
class GrantRow:
    row: int
    reference: str
    title: str
    provider: str
    fund: str
    programme: str
    priority: str
    boroughs: list[str]
    amount: decimal.Decimal
    starts_on: dt.date
    ends_on: dt.date
    milestones: str
    measures: list[tuple[str, str, int | None]] = field(default_factory=list)


@dataclass
class Loaded:
    grants: int
    total: decimal.Decimal
    providers_added: int
    funds_added: int


def read_rows(name: str, data: bytes) -> list[dict[str, Any]]:
    """The register's rows as dicts (header -> cell); CSV as text, XLSX cells as openpyxl reads them."""
    if name.lower().endswith(".xlsx"):
        return _xlsx_rows(name, data)
    if not name.lower().endswith(".csv"):
        raise RegisterRejected([RowError(name, 0, "file", "a register is a .csv or .xlsx file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegisterRejected([RowError(name, 0, "file", "the CSV is not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    table = [row for row in reader]
    return _as_dicts(name, table)


def _xlsx_rows(name: str, data: bytes) -> list[dict[str, Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise RegisterRejected([RowError(name, 0, "file", "not a readable .xlsx workbook")]) from None
    sheet = book.worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _as_dicts(name, table)


def _as_dicts(name: str, table: list[list[Any]]) -> list[dict[str, Any]]:
    if not table:
        raise RegisterRejected([RowError(name, 1, "header", "the file is empty")])
    header = [str(h).strip().lower() if h is not None else "" for h in table[0]]
    errors = [RowError(name, 1, "header", f"the column {h!r} is not one a register has") for h in header
              if h and h not in COLUMNS]
    errors += [RowError(name, 1, "header", f"the column {c!r} is missing") for c in REQUIRED if c not in header]
    if errors:
        raise RegisterRejected(errors)
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        row = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}
        row["_row"] = number
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise RegisterRejected([RowError(name, 1, "file", f"more than {MAX_ROWS} grants: split the register")])
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _amount(value: Any) -> decimal.Decimal:
    """A CSV cell is text. A spreadsheet stores a number as binary floating point: its shortest decimal
    form (what the spreadsheet shows at full precision) is read, and refused beyond two decimal places."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise money.BadAmount("not a number")
        value = repr(value)
        if value.endswith(".0"):
            value = value[:-2]
        if "e" in value.lower():
            raise money.BadAmount(f"{value} is not an amount in pounds, like 1234.50")
    return money.parse(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        for pattern in ("%d/%m/%Y",):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                pass
    raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD (or DD/MM/YYYY)")


def _whole(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        value = int(value)
    text = _text(value).replace(",", "")
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f"{text!r} is not a whole number above 0 (leave it empty for no target)")
    return int(text)


def boroughs(text: str) -> list[str]:
    """Borough names separated by ';' ('All London boroughs' for the 32). Unknown names raise ValueError."""
    if text.strip().lower() == ALL_BOROUGHS.lower():
        return list(LONDON_BOROUGHS)
    names = [n.strip() for n in text.split(";") if n.strip()]
    if not names:
        raise ValueError(f"name at least one London borough, separated by ';' (or {ALL_BOROUGHS!r})")
    unknown = [n for n in names if n.lower() not in _BOROUGH_KEYS]
    if unknown:
        raise ValueError(f"not a London borough: {', '.join(unknown)}")
    found = sorted({_BOROUGH_KEYS[n.lower()] for n in names})
    return found


def check(name: str, rows: list[dict[str, Any]], existing: set[str]) -> tuple[list[GrantRow], list[RowError]]:
    """Each row as a grant, or the errors it has (every field checked, not only the first bad one)."""
    good: list[GrantRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        number = int(row["_row"])
        problems: list[RowError] = []

        def bad(column: str, reason: str, number: int = number, problems: list[RowError] = problems) -> None:
            problems.append(RowError(name, number, column, reason))

        values = {c: _text(row.get(c)) for c in ("reference", "title", "provider", "fund", "programme", "priority",
                                                 "milestones")}
        for column in ("reference", "title", "provider", "fund", "priority"):
            if not values[column]:
                bad(column, "empty")
        limits = {"reference": 40, "title": 200, "provider": 160, "fund": 160, "programme": 160, "priority": 120}
        for column, limit in limits.items():
            if len(values[column]) > limit:
                bad(column, f"longer than {limit} characters")
        reference = values["reference"]
        if reference in existing:
            bad("reference", f"{reference} is already in the register")
        elif reference and reference in seen:
            bad("reference", f"{reference} is also on row {seen[reference]}")
        seen.setdefault(reference, number)
        try:
            amount = _amount(row.get("amount"))
            if amount == 0:
                bad("amount", "a grant of £0 is not a grant")
        except money.BadAmount as exc:
            bad("amount", exc.reason)
            amount = decimal.Decimal(0)
        dates = {}
        for column in ("starts_on", "ends_on"):
            try:
                dates[column] = _date(row.get(column))
            except ValueError as exc:
                bad(column, str(exc))
        if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
            bad("ends_on", "the grant ends before it starts")
        try:
            served = boroughs(_text(row.get("boroughs")))
        except ValueError as exc:
            bad("boroughs", str(exc))
            served = []
        measures: list[tuple[str, str, int | None]] = []
        for n in range(1, MEASURES + 1):
            measure = _text(row.get(f"measure_{n}"))
            kind = _text(row.get(f"measure_{n}_kind")).lower() or MeasureKind.OUTPUT.value
            target_cell = row.get(f"measure_{n}_target")
            if not measure:
                if _text(target_cell):
                    bad(f"measure_{n}", "a target without the measure's name")
                continue
            if len(measure) > 160:
                bad(f"measure_{n}", "longer than 160 characters")
            if kind not in set(MeasureKind):
                bad(f"measure_{n}_kind", f"{kind!r}: write output or outcome")
            if any(m[0].lower() == measure.lower() for m in measures):
                bad(f"measure_{n}", f"{measure!r} is named twice")
            try:
                target = _whole(target_cell)
            except ValueError as exc:
                bad(f"measure_{n}_target", str(exc))
                target = None
            measures.append((measure, kind, target))
        if problems:
            errors.extend(problems)
            continue
        good.append(GrantRow(number, reference, values["title"], values["provider"], values["fund"],
                             values["programme"], values["priority"], served, amount, dates["starts_on"],
                             dates["ends_on"], values["milestones"], measures))
    return good, errors


def load(db: Session, name: str, data: bytes) -> Loaded:
    """Check the whole register, then load every grant in the caller's transaction; any bad row raises
    `RegisterRejected` (with every error) before anything is added."""
    rows = read_rows(name, data)
    if not rows:
        raise RegisterRejected([RowError(name, 2, "file", "the register has a header but no grants")])
    existing = set(db.scalars(select(Grant.reference)).all())
    good, errors = check(name, rows, existing)
    if errors:
        raise RegisterRejected(errors)
    providers = {p.name: p for p in db.scalars(select(Provider)).all()}
    funds = {f.name: f for f in db.scalars(select(Fund)).all()}
    programmes = {(p.fund_id, p.name): p for p in db.scalars(select(Programme)).all()}
    added_providers = added_funds = 0
    total = decimal.Decimal("0.00")
    for g in good:
        if g.provider not in providers:
            providers[g.provider] = Provider(name=g.provider)
            db.add(providers[g.provider])
            added_providers += 1
        if g.fund not in funds:
            funds[g.fund] = Fund(name=g.fund)
            db.add(funds[g.fund])
            added_funds += 1
        db.flush()
        fund = funds[g.fund]
        programme = None
        if g.programme:
            programme = programmes.get((fund.id, g.programme))
            if programme is None:
                programme = programmes[(fund.id, g.programme)] = Programme(fund_id=fund.id, name=g.programme)
                db.add(programme)
                db.flush()
        grant = Grant(reference=g.reference, title=g.title, provider_id=providers[g.provider].id, fund_id=fund.id,
                      programme_id=programme.id if programme else None, priority=g.priority, amount=g.amount,
                      starts_on=g.starts_on, ends_on=g.ends_on, milestones=g.milestones)
        grant.boroughs = [GrantBorough(borough=b) for b in g.boroughs]
        grant.measures = [GrantMeasure(name=m, kind=k, target=t) for m, k, t in g.measures]
        db.add(grant)
        total += g.amount
    db.flush()
    return Loaded(len(good), total, added_providers, added_funds)


def load_file(db: Session, path: Path) -> Loaded:
    return load(db, path.name, path.read_bytes())
