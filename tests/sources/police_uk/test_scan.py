"""The layout pass agrees with a plain byte-by-byte reading of the same rules, chunk size aside."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oversight.errors import SourceError
from oversight.sources.police_uk import _scan


@dataclass
class Expected:
    header: bytes = b""
    records: int = 0
    lines: int = 0
    blank_ordinals: list[int] = field(default_factory=list)
    multi_line: list[tuple[int, int]] = field(default_factory=list)
    endings: dict[str, int] = field(default_factory=lambda: {"LF": 0, "CRLF": 0, "CR": 0})
    unclosed_quote_line: int | None = None


def read_slowly(data: bytes) -> Expected:
    """The layout by walking the bytes one at a time (the rules in _scan's docstring)."""
    data = data.removeprefix(_scan.BOM)
    out = Expected()
    ordinal, line, breaks_inside = 1, 1, 0
    content = bytearray()
    inside, field_start, open_line = False, True, None
    i = 0
    while i < len(data):
        c = data[i : i + 1]
        ending = "CRLF" if data[i : i + 2] == b"\r\n" else {b"\n": "LF", b"\r": "CR"}.get(c)
        width = 2 if ending == "CRLF" else 1
        if inside:
            if c == b'"' and data[i + 1 : i + 2] == b'"':
                content += b'""'
                i += 2
                continue
            if c == b'"':
                inside, field_start = False, False
            elif ending:
                line += 1
                breaks_inside += 1
            content += data[i : i + width]
            i += width
            continue
        if ending:
            out.endings[ending] += 1
            if ordinal == 1:
                out.header = bytes(content)
            elif content:
                out.records += 1
            else:
                out.blank_ordinals.append(ordinal)
            if breaks_inside:
                out.multi_line.append((ordinal, breaks_inside))
            ordinal, line, breaks_inside = ordinal + 1, line + 1, 0
            content.clear()
            field_start = True
        else:
            if c == b'"' and field_start:
                inside, open_line = True, line
            field_start = c == b","
            content += c
        i += width
    if content and ordinal == 1:
        out.header = bytes(content)
    elif content:
        out.records += 1
    out.lines = line - 1 + (1 if data and data[-1:] not in (b"\n", b"\r") else 0)
    out.unclosed_quote_line = open_line if inside else None
    return out


def _scan_bytes(tmp_path, data: bytes, *, gz: bool = False) -> tuple[_scan.Layout, bytes]:
    path = tmp_path / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    rewritten = io.BytesIO()
    return _scan.scan(path, rewrite_to=rewritten), rewritten.getvalue()


def _summary(layout: _scan.Layout) -> Expected:
    return Expected(layout.header, layout.records, layout.lines, layout.blank_ordinals, layout.multi_line,
                    layout.endings, layout.unclosed_quote_line)


CSV_BYTES = st.lists(st.sampled_from([b"a", b"b", b",", b'"', b"\r", b"\n", b"\r\n", b'""', b",\""]),
                     max_size=60).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=CSV_BYTES, chunk=st.integers(1, 9), bom=st.booleans())
def test_the_layout_pass_matches_a_byte_by_byte_reading_whatever_the_chunk_size(
        tmp_path_factory, monkeypatch_chunk, data, chunk, bom):
    monkeypatch_chunk(chunk)
    data = (_scan.BOM if bom else b"") + data
    layout, rewritten = _scan_bytes(tmp_path_factory.mktemp("s"), data)
    assert _summary(layout) == read_slowly(data)
    # The rewritten copy has the same records and lines, with LF line ends only.
    again, _ = _scan_bytes(tmp_path_factory.mktemp("s"), rewritten)
    expected = read_slowly(data)
    expected.endings = {"LF": sum(expected.endings.values()), "CRLF": 0, "CR": 0}
    if expected.unclosed_quote_line is None:  # a line end inside an open quote stays as it was
        assert _summary(again) == expected


@pytest.fixture
def monkeypatch_chunk():
    saved = _scan.CHUNK_BYTES

    def set_chunk(size: int) -> None:
        _scan.CHUNK_BYTES = size

    yield set_chunk
    _scan.CHUNK_BYTES = saved


def test_gzip_files_are_read_through_and_hashed_as_stored(tmp_path):
    data = b"a,b\n1,2\n\n3,4\n"
    layout, _ = _scan_bytes(tmp_path, data, gz=True)
    assert (layout.records, layout.blank_ordinals) == (2, [3])
    assert layout.sha256 == _scan.hashlib.sha256((tmp_path / "f.csv.gz").read_bytes()).hexdigest()


def test_several_gzip_members_are_one_file(tmp_path):
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n"))
    assert _scan.scan(path).records == 2


def test_a_truncated_gzip_file_is_one_clear_error(tmp_path):
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:-20])
    with pytest.raises(SourceError, match="the compressed data ends early"):
        _scan.scan(path)


def test_mixed_line_ends_are_summarised_with_the_first_change():
    layout = _scan.Layout(sha256="", endings={"LF": 698, "CRLF": 1, "CR": 0}, first_ending="CRLF",
                          first_other_ending=("LF", 2))
    assert layout.mixed_endings
    assert layout.ending_summary() == "698 LF, 1 CRLF; line 2 is the first to end in LF where line 1 ends in CRLF"
