"""Read the geography files: ONS lookups (CSV), the force's BCU list (CSV), boundaries (GeoJSON).

Each reader returns a `Parsed`: typed rows plus the rows it rejected with the reason. A file
whose header lacks a required column, or that is not GeoJSON, raises `SourceError` and loads
nothing. GeoJSON must be lon/lat (EPSG:4326, as RFC 7946 requires); a feature whose
coordinates fall outside the UK bounds is rejected, which catches files left in British
National Grid metres.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from oversight import config
from oversight.errors import SourceError
from oversight.sources.reference.dataset import Parsed, Rejected

LSOA_CODE = re.compile(r"[EW]01\d{6}")
WARD_CODE = re.compile(r"[EW]05\d{6}")
DISTRICT_CODE = re.compile(r"[EW]0[6-9]\d{6}")  # unitary, non-metropolitan, metropolitan, London borough
CHANGE_CODES = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}
UK_DISTRICT_CODE = re.compile(r"([EW]0[6-9]|S12|N09)\d{6}")  # the above, plus Scottish and NI councils
CSP_CODE = re.compile(r"(E22|W14)\d{6}")  # Community Safety Partnership (Wales: W14)
PFA_CODE = re.compile(r"(E23|W15)\d{6}")  # police force area (England, Wales)


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    """All columns as text; the ONS England-and-Wales files start with a byte-order mark."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read as CSV: {exc}", path=str(path)) from exc
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceError(
            f"the header lacks {', '.join(repr(c) for c in missing)} (found {', '.join(frame.columns)})",
            path=str(path),
        )
    return frame.apply(lambda col: col.str.strip())


# A check: (column, predicate on the value, reason written after the quoted value).
Check = tuple[str, Callable[[str], bool], str]


def _code(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _filter(frame: pd.DataFrame, checks: list[Check], unique: list[str]) -> tuple[pd.DataFrame, list[Rejected]]:
    """Keep rows passing every check; a repeat of an earlier row's `unique` key is rejected too.

    A row is reported once, for the first check it fails.
    """
    failed = pd.Series(None, index=frame.index, dtype=object)  # index of the first failed check
    for i, (column, ok, _) in enumerate(checks):
        bad = failed.isna() & ~frame[column].map(ok).astype(bool)
        failed[bad] = i
    valid = frame[failed.isna()]
    repeat = failed.isna() & valid.duplicated(unique).reindex(frame.index, fill_value=False)
    rejected: list[Rejected] = []
    for pos in np.flatnonzero(failed.notna() | repeat):
        record = frame.iloc[pos].to_dict()
        line = int(pos) + 2  # the header is line 1
        if pd.notna(failed.iat[pos]):
            column, _, reason = checks[int(failed.iat[pos])]
            rejected.append(Rejected(line, column, record[column], f"'{record[column]}' {reason}", record))
        else:
            key = tuple(record[c] for c in unique)
            first = int(valid.index[(valid[unique] == list(key)).all(axis=1)][0]) + 2
            rejected.append(Rejected(line, unique[0], record[unique[0]],
                                     f"'{'/'.join(key)}' is listed again (first at line {first})", record))
    keep = (failed.isna() & ~repeat).to_numpy()
    return frame[keep].reset_index(drop=True), rejected


def _named(column: str) -> Check:
    return (column, bool, "is empty: a name is required")


def parse_lsoa_ward_lookup(path: Path) -> Parsed:
    """ONS 'LSOA (2021) to Electoral Ward (2024) to LAD (2024) Best Fit Lookup'."""
    cols = ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"]
    frame, rejected = _filter(
        _read_csv(path, cols),
        [
            ("LSOA21CD", _code(LSOA_CODE), "is not an LSOA code (E01 or W01 and six digits)"),
            ("WD24CD", _code(WARD_CODE), "is not a ward code (E05 or W05 and six digits)"),
            ("LAD24CD", _code(DISTRICT_CODE), "is not a local authority district code"),
            _named("LSOA21NM"), _named("WD24NM"), _named("LAD24NM"),
        ],
        unique=["LSOA21CD"],
    )
    rows = frame[cols].set_axis(
        ["lsoa21_code", "lsoa21_name", "ward_code", "ward_name", "lad_code", "lad_name"], axis=1
    )
    return Parsed(rows, rejected)


def parse_lsoa_vintage_lookup(path: Path) -> Parsed:
    """ONS 'LSOA (2011) to LSOA (2021) to LAD (2022) Exact Fit Lookup', with its change indicator."""
    cols = ["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD", "LAD22NM"]
    frame, rejected = _filter(
        _read_csv(path, cols),
        [
            ("LSOA11CD", _code(LSOA_CODE), "is not an LSOA code (E01 or W01 and six digits)"),
            ("LSOA21CD", _code(LSOA_CODE), "is not an LSOA code (E01 or W01 and six digits)"),
            ("CHGIND", CHANGE_CODES.__contains__, "is not a change indicator (U, S, M or X)"),
            ("LAD22CD", _code(DISTRICT_CODE), "is not a local authority district code"),
        ],
        unique=["LSOA11CD", "LSOA21CD"],
    )
    rows = frame[cols].set_axis(
        ["lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name", "change", "lad22_code", "lad22_name"], axis=1
    )
    return Parsed(rows, rejected)


def parse_la_force_lookup(path: Path) -> Parsed:
    """ONS local authority (2024) -> Community Safety Partnership -> police force area (2024).

    An authority formed by merging districts keeps one row per former partnership, so an
    authority may appear more than once, always in one force area (checked when the geography
    is built).
    """
    cols = ["ltla24_code", "ltla24_name", "csp24_code", "csp24_name", "pfa24_code", "pfa24_name"]
    frame, rejected = _filter(
        _read_csv(path, cols),
        [
            ("ltla24_code", _code(DISTRICT_CODE), "is not a local authority district code"),
            ("csp24_code", _code(CSP_CODE), "is not a Community Safety Partnership code (E22 or W14 and six digits)"),
            ("pfa24_code", _code(PFA_CODE), "is not a police force area code (E23 or W15 and six digits)"),
            _named("ltla24_name"), _named("csp24_name"), _named("pfa24_name"),
        ],
        unique=["ltla24_code", "csp24_code"],
    )
    rows = frame[cols].set_axis(["la_code", "la_name", "csp_code", "csp_name", "pfa_code", "pfa_name"], axis=1)
    return Parsed(rows, rejected, notes=[
        f"{rows['la_code'].nunique()} local authorities, {rows['csp_code'].nunique()} partnerships, "
        f"{rows['pfa_code'].nunique()} police force areas",
    ])


def parse_la_reorganisation(path: Path) -> Parsed:
    """Local authority 2022 -> 2023: the April 2023 mergers (Cumbria, North Yorkshire, Somerset).

    Census 2021 tables use the 2021 codes, which are the 2022 codes (no change in 2022). Rows
    for Scotland and Northern Ireland are kept; only English and Welsh codes are ever joined.
    """
    cols = ["ltla22_code", "ltla22_name", "ltla23_code", "ltla23_name"]
    frame, rejected = _filter(
        _read_csv(path, cols),
        [
            ("ltla22_code", _code(UK_DISTRICT_CODE), "is not a local authority code"),
            ("ltla23_code", _code(UK_DISTRICT_CODE), "is not a local authority code"),
            _named("ltla22_name"), _named("ltla23_name"),
        ],
        unique=["ltla22_code"],
    )
    rows = frame[cols].set_axis(["la22_code", "la22_name", "la23_code", "la23_name"], axis=1)
    merged = rows[rows["la22_code"] != rows["la23_code"]]
    return Parsed(rows, rejected, notes=[
        f"{len(merged)} authorities merged into {merged['la23_code'].nunique()} in 2023"
        + (f" ({', '.join(sorted(merged['la23_name'].unique()))})" if len(merged) else ""),
    ])


def parse_bcu_borough(path: Path) -> Parsed:
    """Borough -> Basic Command Unit for one force; the boroughs listed are the force area.

    A `force` column may name the police.uk force per row; without one, every row belongs to
    the configured default force, and a note says so.
    """
    cols = ["bcu_code", "bcu_name", "borough_name", "borough_code"]
    raw = _read_csv(path, cols)
    notes = []
    if "force" not in raw.columns:
        force = str(config.default("default_force"))
        raw["force"] = force
        notes.append(f"no 'force' column: the boroughs listed are the force area of '{force}' (setting default_force)")
    frame, rejected = _filter(
        raw,
        [
            ("borough_code", _code(DISTRICT_CODE), "is not a local authority district code"),
            ("bcu_code", bool, "is empty: every borough needs its BCU"),
            ("force", bool, "is empty: every row needs a police.uk force id"),
            _named("bcu_name"),
        ],
        unique=["borough_code"],
    )
    return Parsed(frame[["force", "bcu_code", "bcu_name", "borough_code", "borough_name"]], rejected, notes=notes)


def _read_geojson(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            data = json.load(fh)
    except (OSError, ValueError, EOFError) as exc:
        raise SourceError(f"cannot read as GeoJSON: {exc}", path=str(path)) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise SourceError("not a GeoJSON FeatureCollection", path=str(path))
    return data["features"]


def _polygons(geometry: object) -> tuple[shapely.Geometry | None, bool]:
    """The feature's area as a valid (Multi)Polygon (None when it has none), and whether it was repaired."""
    if not isinstance(geometry, dict):
        return None, False
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return None, False
    repaired = not geom.is_valid
    if repaired:
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":  # make_valid can leave stray lines beside the area
        parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(parts) if parts else None
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, repaired
    return geom, repaired


def parse_boundaries(path: Path, code_field: str, name_field: str, pattern: re.Pattern[str]) -> Parsed:
    """One row per feature: code, name and the polygon as WKB."""
    lat_lo, lat_hi, lon_lo, lon_hi = config.UK_BOUNDS
    rows: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    repaired = 0
    for number, feature in enumerate(_read_geojson(path), start=1):
        if not isinstance(feature, dict):
            feature = {}
        props = feature.get("properties")
        if not isinstance(props, dict):
            props = {}
        code = str(props.get(code_field) or "").strip()
        name = str(props.get(name_field) or "").strip()
        record = {code_field: code, name_field: name}

        def reject(fld: str, value: str | None, reason: str, number: int = number,
                   record: dict[str, str] = record) -> None:
            rejected.append(Rejected(None, fld, value, f"feature {number}: {reason}", record))

        if not pattern.fullmatch(code):
            reject(code_field, code, f"'{code}' is not a valid {code_field} code")
            continue
        if code in seen:
            reject(code_field, code, f"'{code}' is listed again (first as feature {seen[code]})")
            continue
        geom, was_invalid = _polygons(feature.get("geometry"))
        if geom is None:
            reject("geometry", None, "no polygon geometry")
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (lon_lo <= minx and maxx <= lon_hi and lat_lo <= miny and maxy <= lat_hi):
            reject("geometry", f"{minx:.3f},{miny:.3f},{maxx:.3f},{maxy:.3f}",
                   "coordinates are not longitude/latitude in the UK (EPSG:4326 expected)")
            continue
        repaired += was_invalid
        seen[code] = number
        rows.append({"code": code, "name": name, "geometry": shapely.to_wkb(geom)})
    notes = [f"{repaired} invalid polygons repaired with make_valid"] if repaired else []
    return Parsed(pd.DataFrame(rows, columns=["code", "name", "geometry"]), rejected, notes=notes)


def parse_lsoa_boundaries(path: Path) -> Parsed:
    parsed = parse_boundaries(path, "LSOA21CD", "LSOA21NM", LSOA_CODE)
    parsed.rows = parsed.rows.set_axis(["lsoa_code", "lsoa_name", "geometry"], axis=1)
    return parsed


def parse_pfa_boundaries(path: Path) -> Parsed:
    parsed = parse_boundaries(path, "pfa20_code", "pfa20_name", PFA_CODE)
    parsed.rows = parsed.rows.set_axis(["pfa_code", "pfa_name", "geometry"], axis=1)
    return parsed


def parse_la_boundaries(path: Path) -> Parsed:
    """Local authorities (2024), whole UK; very generalised: a point near a boundary may fall on
    the wrong side, so these are for drawing maps, never for placing records."""
    parsed = parse_boundaries(path, "ltla24_code", "ltla24_name", UK_DISTRICT_CODE)
    parsed.rows = parsed.rows.set_axis(["la_code", "la_name", "geometry"], axis=1)
    outside = int((~parsed.rows["la_code"].str.match(r"[EW]")).sum())
    if outside:
        parsed.notes.append(f"{outside} Scottish and Northern Irish councils loaded; only English and Welsh "
                            "authorities are drawn (they alone are in a force area of England and Wales)")
    parsed.notes.append("very generalised polygons: for maps only, a point near a boundary can fall on the wrong side")
    return parsed


def parse_ward_boundaries(path: Path) -> Parsed:
    parsed = parse_boundaries(path, "WD24CD", "WD24NM", WARD_CODE)
    parsed.rows = parsed.rows.set_axis(["ward_code", "ward_name", "geometry"], axis=1)
    return parsed
