"""Finding and recognising police.uk files; files that cannot be read at all."""

from __future__ import annotations

import zipfile

import pytest
from conftest import bundled, csv_lines, unzip_to, write_lines

from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.police_uk._files import parse_name

# inputs


def test_file_name_gives_month_force_and_dataset():
    assert parse_name("2018-04-metropolitan-stop-and-search.csv.gz") == ("2018-04", "metropolitan", "stop-and-search")
    assert parse_name("2019-09-city-of-london-street.csv") == ("2019-09", "city-of-london", "street")
    assert parse_name("2024-12-metropolitan-stop-and-search_from_api.csv.gz") == (
        "2024-12", "metropolitan", "stop-and-search")
    assert parse_name("lambeth_stop_and_search_2020-09_to_2021-08.csv") == (None, None, None)


def test_kind_is_recognised_from_the_header_not_the_name(tmp_path, warehouse):
    renamed = unzip_to(bundled("street", "2019-09"), tmp_path / "crimes.csv")
    report = ingest_police_uk(warehouse, [renamed])
    (f,) = report.files
    assert (f.dataset, f.force, f.rows_loaded) == ("street", "city-of-london", 853)
    assert warehouse.execute("SELECT count(*) FROM street_crime").fetchone() == (853,)


def test_a_zip_archive_of_month_folders_loads_every_member(tmp_path, warehouse):
    archive = tmp_path / "police-uk-download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for month in ("2018-01", "2018-02"):
            plain = unzip_to(bundled("stop-and-search", month), tmp_path / "x" / f"{month}.csv")
            zf.write(plain, f"{month}/{month}-metropolitan-stop-and-search.csv")
        plain = unzip_to(bundled("street", "2018-01"), tmp_path / "x" / "s.csv")
        zf.write(plain, "2018-01/2018-01-city-of-london-street.csv")
    report = ingest_police_uk(warehouse, [archive])
    assert [(f.dataset, f.months) for f in report.files] == [
        ("street", ["2018-01"]), ("stop-and-search", ["2018-01"]), ("stop-and-search", ["2018-02"])]
    assert all(f.ok and f.rows_read == f.rows_loaded for f in report.files)


def test_progress_counts_the_bytes_read_from_a_zip_against_their_total(tmp_path, warehouse):
    """The bytes reported are those of the files read out of the archive, never more than the
    total they are reported against, which is known once every file has been found."""
    archive = tmp_path / "police-uk-download.zip"
    plain = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for month in ("2018-01", "2018-02", "2018-03"):
            plain.append(unzip_to(bundled("stop-and-search", month), tmp_path / "x" / f"{month}.csv"))
            zf.write(plain[-1], f"{month}/{month}-metropolitan-stop-and-search.csv")
    calls: list[tuple[str, int, int | None]] = []
    report = ingest_police_uk(warehouse, [archive],
                              progress=lambda what, done, total: calls.append((what, done, total)))
    assert not report.failed
    csv_bytes = sum(p.stat().st_size for p in plain)
    assert csv_bytes > 2 * archive.stat().st_size
    reading = [c for c in calls if c[2] is None]
    loading = [c for c in calls if c[2] is not None]
    assert [what for what, _, _ in reading] == [
        f"reading {m}-metropolitan-stop-and-search.csv" for m in ("2018-01", "2018-02", "2018-03")]
    assert reading[-1][1] == csv_bytes
    assert loading and all(total == csv_bytes for _, _, total in loading)
    assert [done for _, done, _ in loading] == sorted(done for _, done, _ in loading)
    assert loading[-1][1] == csv_bytes
    assert all(what.startswith("loaded ") for what, _, _ in loading)


def test_a_folder_mixing_csv_and_gz_loads_both(tmp_path, warehouse):
    unzip_to(bundled("street", "2018-01"), tmp_path / "in" / "2018-01-city-of-london-street.csv")
    (tmp_path / "in" / "2018-02-city-of-london-street.csv.gz").write_bytes(bundled("street", "2018-02").read_bytes())
    report = ingest_police_uk(warehouse, [tmp_path / "in"])
    assert [f.months for f in report.files] == [["2018-01"], ["2018-02"]]


def test_stop_and_search_file_without_force_in_its_name_needs_force(tmp_path, warehouse):
    plain = unzip_to(bundled("stop-and-search", "2018-01"), tmp_path / "searches.csv")
    (f,) = ingest_police_uk(warehouse, [plain]).files
    assert f.error == (
        "stop-and-search files carry no force column: name the file "
        "YYYY-MM-<force>-stop-and-search.csv or pass --force"
    )
    (f,) = ingest_police_uk(warehouse, [plain], force="metropolitan").files
    assert f.ok and f.force == "metropolitan" and f.months == ["2018-01"]


def test_unknown_force_id_is_refused(tmp_path, warehouse):
    plain = unzip_to(bundled("stop-and-search", "2018-01"), tmp_path / "searches.csv")
    (f,) = ingest_police_uk(warehouse, [plain], force="gotham").files
    assert f.error == "'gotham' is not a police.uk force id (see 'oversight forces')"


# files that cannot be read: one clear error each, the others still load


def test_empty_file_fails_alone_and_the_others_load(tmp_path, warehouse):
    empty = tmp_path / "2018-03-metropolitan-stop-and-search.csv"
    empty.write_text("")
    report = ingest_police_uk(warehouse, [empty, bundled("stop-and-search", "2018-01")])
    assert [(f.ok, f.error) for f in report.files] == [(False, "file is empty"), (True, None)]
    assert warehouse.execute("SELECT count(*) FROM stop_search").fetchone()[0] == report.files[1].rows_loaded > 0


def test_truncated_gzip_fails_alone_and_the_others_load(tmp_path, warehouse):
    whole = bundled("stop-and-search", "2018-02").read_bytes()
    cut = tmp_path / "2018-02-metropolitan-stop-and-search.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    others = [bundled("stop-and-search", "2018-01"), bundled("stop-and-search", "2018-03")]
    report = ingest_police_uk(warehouse, [others[0], cut, others[1]])
    failed = [f for f in report.files if not f.ok]
    assert [f.name for f in failed] == [str(cut)]
    assert failed[0].error.startswith("cannot be read: ")
    loaded = warehouse.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM stop_search GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [m for m, _ in loaded] == ["2018-01", "2018-03"]
    # Nothing of the broken file was kept, and it left no ledger entry.
    assert warehouse.execute("SELECT count(*) FROM file_load WHERE source_file = ?", [str(cut)]).fetchone() == (0,)


def test_a_file_that_is_not_police_uk_names_the_missing_columns(tmp_path, warehouse):
    other = write_lines(tmp_path / "budget.csv", ["Borough,Budget", "Camden,100"])
    (f,) = ingest_police_uk(warehouse, [other]).files
    assert f.error.startswith("not a police.uk file: the header lacks ")
    assert "'Month'" in f.error or "'Type'" in f.error


def test_a_truncated_zip_is_one_clear_error(tmp_path, warehouse):
    broken = tmp_path / "download.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a whole archive")
    (f,) = ingest_police_uk(warehouse, [broken]).files
    assert f.name == str(broken) and f.error.startswith("cannot open the zip archive")


def test_a_missing_path_is_reported(tmp_path, warehouse):
    (f,) = ingest_police_uk(warehouse, [tmp_path / "nope.csv"]).files
    assert f.error == "no such file or folder"


def test_undecodable_header_is_one_clear_error(tmp_path, warehouse):
    path = tmp_path / "2018-01-city-of-london-street.csv"
    path.write_bytes(b"\xff\xfe\x00C\x00r\x00i\x00m\x00e")
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert f.error.startswith("cannot read the first line")


def test_header_only_file_loads_zero_rows(tmp_path, warehouse):
    header = csv_lines(bundled("street", "2018-01"))[0]
    path = write_lines(tmp_path / "2018-01-city-of-london-street.csv", [header])
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.ok, f.rows_read, f.rows_loaded) == (True, 0, 0)


# zip archives: every member by its position, nested archives opened


def _street_text(rows: int) -> str:
    return "\n".join(csv_lines(bundled("street", "2018-01"))[: rows + 1]) + "\n"


def test_two_members_of_one_name_are_both_loaded_and_named_apart(tmp_path, warehouse):
    archive = tmp_path / "download.zip"
    member = "2018-01/2018-01-city-of-london-street.csv"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, _street_text(663))
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr(member, _street_text(99))
    report = ingest_police_uk(warehouse, [archive])
    assert [(f.name, f.rows_read, f.rows_loaded) for f in report.files] == [
        (f"{archive}!{member} (#1)", 663, 663), (f"{archive}!{member} (#2)", 99, 99)]
    note = f"the archive holds 2 members named {member} (#1, #2); each is loaded as its own file"
    assert all(note in f.notes for f in report.files)
    # Both supply 2018-01: the later in the archive wins it, as for two files in one run.
    assert warehouse.execute("SELECT count(*), any_value(source_file) FROM street_crime").fetchone() == (
        99, f"{archive}!{member} (#2)")


def test_a_zip_inside_a_zip_is_opened(tmp_path, warehouse):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("2018-01-city-of-london-street.csv", _street_text(20))
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "months/inner.zip")
        zf.writestr("2018-02-city-of-london-street.csv", _street_text(5).replace("2018-01", "2018-02"))
    report = ingest_police_uk(warehouse, [outer])
    assert [(f.name, f.rows_loaded) for f in report.files] == [
        (f"{outer}!2018-02-city-of-london-street.csv", 5),
        (f"{outer}!months/inner.zip!2018-01-city-of-london-street.csv", 20),
    ]
