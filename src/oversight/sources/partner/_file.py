"""Read one partner CSV file: whole-file checks (encoding, CSV syntax, header), then every row."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pandas as pd

from oversight.errors import SourceError
from oversight.sources.partner._rules import COLUMNS, PERIOD_ALIASES, PartnerRow, check_row
from oversight.sources.reference.dataset import Parsed, Rejected

DUPLICATE_FIELD = "measure/period/area/breakdown"
_SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods")


def parse_partner_file(path: Path) -> Parsed:
    """Typed rows of a partner file plus the rows it rejected; SourceError if it cannot be read at all."""
    text = _text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SourceError("file is empty", path=path.name)
        names = _check_header(header, path)
        accepted: list[tuple[PartnerRow, dict[str, str]]] = []  # with the cells as read, for quarantine
        rejected: list[Rejected] = []
        empty = reordered = renamed = 0
        line = reader.line_num + 1
        for cells in reader:
            if not cells:
                pass  # a blank line is not a row
            elif not any(cell.strip() for cell in cells):
                empty += 1  # spreadsheet exports end in rows of bare commas: nothing to load or lose
            elif len(cells) != len(names):
                rejected.append(_ragged(cells, names, line))
            else:
                row = dict(zip(names, cells, strict=True))
                checked = check_row(row, line)
                if isinstance(checked, Rejected):
                    rejected.append(checked)
                else:
                    accepted.append((checked, row))
                    reordered += checked.breakdown != row["breakdown"].strip()
                    renamed += row["period_type"].strip() in PERIOD_ALIASES
            line = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError(f"line {reader.line_num}: not valid CSV ({exc})", path=path.name) from exc
    kept, duplicates = _without_duplicates(accepted)
    rejected = sorted(rejected + duplicates, key=lambda r: r.line or 0)
    notes = []
    if empty:
        notes.append(f"skipped {empty} empty row{'s' if empty != 1 else ''} (only commas or spaces)")
    if reordered:
        notes.append(f"put the dimensions of {reordered} breakdown{'s' if reordered != 1 else ''} in "
                     "alphabetical order")
    if renamed:
        notes.append(f"stored {renamed} period type{'s' if renamed != 1 else ''} written 'quarter' or "
                     "'rolling_12_months' as 'fy_quarter' or 'rolling_12'")
    return Parsed(rows=_frame(kept), rejected=rejected, notes=notes)


def _text(path: Path) -> str:
    if path.suffix.lower() in _SPREADSHEETS:
        raise SourceError("is a spreadsheet; save the sheet as 'CSV UTF-8' and load that", path=path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the file ({exc.strerror or exc})", path=path.name) from exc
    if not data.strip():
        raise SourceError("file is empty", path=path.name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"is not UTF-8 text (byte {exc.start + 1}); save it as 'CSV UTF-8'", path=path.name) from exc


def _check_header(header: list[str], path: Path) -> list[str]:
    names = [name.strip() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [n for n in names if n not in COLUMNS]
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {_quoted(missing)}")
    if extra:
        problems.append(f"unexpected column{'s' if len(extra) > 1 else ''} {_quoted(extra)}")
    if repeated:
        problems.append(f"repeated column{'s' if len(repeated) > 1 else ''} {_quoted(repeated)}")
    if problems:
        raise SourceError(f"header is not the partner format: {'; '.join(problems)} "
                          f"(expected exactly: {', '.join(COLUMNS)})", path=path.name, row=1)
    return names


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _ragged(cells: list[str], names: list[str], line: int) -> Rejected:
    """A row with too few or too many cells; named after the first column it cannot fill or the last it overruns."""
    if len(cells) < len(names):
        field, where = names[len(cells)], f"nothing from '{names[len(cells)]}' on"
    else:
        field, where = names[-1], f"extra cells after '{names[-1]}' (an unquoted comma?)"
    return Rejected(line=line, field=field, value=None,
                    reason=f"row has {len(cells)} cells, the header has {len(names)}: {where}",
                    record=",".join(cells))


def _without_duplicates(
    rows: list[tuple[PartnerRow, dict[str, str]]],
) -> tuple[list[PartnerRow], list[Rejected]]:
    """Rows whose key appears once; every row of a repeated key is rejected, as neither can be trusted."""
    by_key: dict[tuple[object, ...], list[tuple[PartnerRow, dict[str, str]]]] = defaultdict(list)
    for row, cells in rows:
        by_key[row.key].append((row, cells))
    kept = [row for row, _ in rows if len(by_key[row.key]) == 1]
    rejected = []
    for group in by_key.values():
        if len(group) < 2:
            continue
        for row, cells in group:
            others = ", ".join(str(o.source_line) for o, _ in group if o is not row)
            measure, start, end, level, code, breakdown = row.key
            rejected.append(Rejected(
                line=row.source_line, field=DUPLICATE_FIELD,
                value=f"{measure} {start}..{end} {level} {code} {breakdown}",
                reason=f"same measure, period, area and breakdown as line {others}; all {len(group)} rows "
                       "quarantined, as the file does not say which is right",
                record=dict(cells),
            ))
    return kept, rejected


def _frame(rows: list[PartnerRow]) -> pd.DataFrame:
    columns = {c: [getattr(r, c) for r in rows] for c in (*COLUMNS, "source_line")}
    return pd.DataFrame({
        **{c: pd.Series(columns[c], dtype="str") for c in
           ("measure", "period_type", "area_level", "area_code", "breakdown", "source")},
        "period_start": pd.Series(pd.to_datetime(pd.Series(columns["period_start"], dtype="object")),
                                  dtype="datetime64[s]"),
        "period_end": pd.Series(pd.to_datetime(pd.Series(columns["period_end"], dtype="object")),
                                dtype="datetime64[s]"),
        **{c: pd.Series(columns[c], dtype="float64") for c in ("numerator", "denominator", "value")},
        "sample_size": pd.Series(columns["sample_size"], dtype="Int64"),
        "notes": pd.Series(columns["notes"], dtype="object"),
        "source_line": pd.Series(columns["source_line"], dtype="int64"),
    })[[*COLUMNS, "source_line"]]
