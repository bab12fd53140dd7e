"""A CSV file's layout, read independently of the CSV parser: records, physical lines, line ends.

DuckDB parses the rows; this pass says what it should find. Its record count is the file's
"rows read", against which loaded + quarantined is checked; its map of blank lines and of records
with line breaks inside quotes turns the parser's record numbers into the physical line numbers
a person sees in an editor; and it finds what the parser would silently misread: a quoted value
that is never closed, and line ends of mixed kinds. LF, CRLF and a lone CR each end a line.

Quotes follow the parser's rules: a quote opens a value only at the start of a field; inside a
value a doubled quote is a quote and a single one closes it; a quote anywhere else is text.

It is one sequential read, which also hashes the file. Chunks without a quote, a CR or a blank
line (nearly all of police.uk) are counted from their LF positions alone.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from oversight.errors import SourceError

CHUNK_BYTES = 8 << 20
HEADER_LIMIT = 1 << 20  # a first record longer than this is not a CSV header
BOM = b"\xef\xbb\xbf"
QUOTE, LF, CR, COMMA = 0x22, 0x0A, 0x0D, 0x2C
ENDINGS = ("LF", "CRLF", "CR")  # index = the kind codes below
_LF, _CRLF, _CR = 0, 1, 2


@dataclass
class Layout:
    sha256: str  # of the bytes on disk (compressed, for .gz)
    header: bytes = b""  # the first record, without its line end
    records: int = 0  # records after the header, blank lines not counted
    lines: int = 0  # physical lines
    blank_ordinals: list[int] = field(default_factory=list)  # record number (header = 1) of each blank line
    blank_first_line: int | None = None  # physical line of the first blank line
    multi_line: list[tuple[int, int]] = field(default_factory=list)  # (record number, extra lines)
    endings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENDINGS, 0))
    first_ending: str | None = None  # how the header's line ends
    first_other_ending: tuple[str, int] | None = None  # the first line that ends another way: (kind, line)
    unclosed_quote_line: int | None = None  # where a quoted value opens that the file never closes
    empty: bool = True  # no bytes at all (a BOM alone counts as none)
    commas: int = 0  # commas in the whole file, header and quoted values included

    @property
    def mixed_endings(self) -> bool:
        return sum(1 for n in self.endings.values() if n) > 1

    def ending_summary(self) -> str:
        """'698 LF, 1 CRLF; line 2 is the first to end in LF where line 1 ends in CRLF'."""
        counts = ", ".join(f"{n:,} {kind}" for kind, n in self.endings.items() if n)
        if self.first_other_ending is None:
            return counts
        kind, line = self.first_other_ending
        return f"{counts}; line {line} is the first to end in {kind} where line 1 ends in {self.first_ending}"


def scan(path: Path, *, rewrite_to: BinaryIO | None = None) -> Layout:
    """The layout of the CSV at `path` (.csv or .csv.gz). SourceError if it cannot be read.

    With `rewrite_to`, also write the file there uncompressed with every line end outside quotes
    made LF, so that a parser expecting one kind of line end reads it as this pass did.
    """
    digest = hashlib.sha256()
    scanner = _Scanner(rewrite_to)
    try:
        with open(path, "rb") as handle:
            for block in _blocks(handle, digest.update, _Gunzip() if path.name.endswith(".gz") else None):
                scanner.feed(block)
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror or exc}", path=str(path)) from exc
    return scanner.layout(digest.hexdigest())


def _blocks(
    handle: BinaryIO, hash_update: Callable[[bytes], None], gunzip: _Gunzip | None
) -> Iterator[bytes]:
    """The file's text in chunks, each but the last ending before any trailing quotes and CRs
    (they are carried into the next chunk: what they mean depends on the byte after them)."""
    carry = b""
    started = False
    while True:
        raw = handle.read(CHUNK_BYTES)
        hash_update(raw)
        text = carry + (gunzip(raw) if gunzip else raw)
        if not raw:
            yield text
            return
        if not started and len(text) < len(BOM):  # a byte-order mark must not be split
            carry = text
            continue
        started = True
        keep = len(text.rstrip(b'"\r'))
        carry = text[keep:]
        if keep:
            yield text[:keep]


class _Gunzip:
    """Decompresses a .gz file block by block (several gzip members in a row, as gzip allows)."""

    def __init__(self) -> None:
        self.inflate = zlib.decompressobj(wbits=31)
        self.started = False

    def __call__(self, raw: bytes) -> bytes:
        try:
            if not raw:
                if self.started and not self.inflate.eof:
                    raise SourceError("cannot be read: the compressed data ends early (a truncated .gz file?)")
                return b""
            self.started = True
            out = [self.inflate.decompress(raw)]
            while self.inflate.eof and self.inflate.unused_data:
                rest = self.inflate.unused_data
                self.inflate = zlib.decompressobj(wbits=31)
                out.append(self.inflate.decompress(rest))
            return b"".join(out)
        except zlib.error as exc:
            raise SourceError(f"cannot be read: not valid gzip data ({exc})") from exc


class _Scanner:
    """Feeds chunks through the record/line state machine; see the module docstring."""

    def __init__(self, rewrite_to: BinaryIO | None) -> None:
        self.out = rewrite_to
        self.bof = True
        self.in_quote = False
        self.prev_byte = LF  # the byte before the chunk; LF makes the first byte a field start
        self.line = 1  # physical line of the chunk's first byte
        self.ordinal = 1  # record number of the record in progress (header = 1)
        self.record_has_bytes = False
        self.line_has_bytes = False  # bytes after the last line break
        self.breaks_in_record = 0  # line breaks inside quotes so far in the record in progress
        self.quote_open_line: int | None = None
        self.header = bytearray()
        self.header_done = False
        self.records = 0
        self.blank_ordinals: list[int] = []
        self.blank_first_line: int | None = None
        self.multi_line: list[tuple[int, int]] = []
        self.endings = [0, 0, 0]
        self.first_ending: int | None = None
        self.first_other: tuple[int, int] | None = None
        self.any_bytes = False
        self.commas = 0

    def layout(self, sha: str) -> Layout:
        ends_open = self.record_has_bytes or self.breaks_in_record > 0
        lines = self.line - 1 + (1 if self.line_has_bytes else 0)
        records = self.records + (1 if ends_open and self.header_done else 0)
        return Layout(
            sha256=sha,
            header=bytes(self.header),
            records=records,
            lines=lines,
            blank_ordinals=self.blank_ordinals,
            blank_first_line=self.blank_first_line,
            multi_line=self.multi_line,
            endings=dict(zip(ENDINGS, self.endings, strict=True)),
            first_ending=ENDINGS[self.first_ending] if self.first_ending is not None else None,
            first_other_ending=(ENDINGS[self.first_other[0]], self.first_other[1]) if self.first_other else None,
            unclosed_quote_line=self.quote_open_line if self.in_quote else None,
            empty=not self.any_bytes,
            commas=self.commas,
        )

    # --- one chunk ---------------------------------------------------------------------------

    def feed(self, buf: bytes) -> None:
        if self.bof:
            self.bof = False
            bom = len(BOM) if buf.startswith(BOM) else 0
            if self.out is not None:
                self.out.write(buf[:bom])
            buf = buf[bom:]
        if not buf:
            return
        self.any_bytes = True
        self.commas += int(np.count_nonzero(np.frombuffer(buf, np.uint8) == COMMA))  # numpy: a fifth of bytes.count
        last = buf[-1]
        if not self.header_done:
            buf = self._feed_plain_header(buf)
        if buf and not self._feed_plain(buf):
            self._feed_general(buf)
        if not self.header_done and len(self.header) > HEADER_LIMIT:
            raise SourceError("the first line is longer than 1 MB: not a CSV header")
        self.prev_byte = last

    def _feed_plain_header(self, buf: bytes) -> bytes:
        """Take a header line without quotes or CRs off the chunk; the rest of the chunk."""
        end = buf.find(b"\n")
        if self.header or self.in_quote or end <= 0 or b'"' in buf[:end] or b"\r" in buf[:end]:
            return buf  # left to the general path
        self.header += buf[:end]
        self.header_done = True
        self.first_ending = _LF
        self.endings[_LF] += 1
        self.ordinal = self.line = 2
        self.line_has_bytes = self.record_has_bytes = False
        if self.out is not None:
            self.out.write(buf[: end + 1])
        return buf[end + 1 :]

    def _feed_plain(self, buf: bytes) -> bool:
        """Count a chunk of plain lines (no quote, CR or blank line) cheaply; False if it is not one."""
        if not self.header_done or self.in_quote or self.breaks_in_record or b'"' in buf or b"\r" in buf:
            return False
        lf = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == LF)
        if len(lf) and ((lf[0] == 0 and not self.record_has_bytes) or (np.diff(lf) == 1).any()):
            return False  # a blank line
        count = len(lf)
        if count:
            self.endings[_LF] += count
            if self.first_other is None and self.first_ending != _LF:
                self.first_other = (_LF, self.line)
            self.records += count
            self.ordinal += count
            self.line += count
            self.record_has_bytes = buf[-1] != LF
        else:
            self.record_has_bytes = True
        self.line_has_bytes = self.record_has_bytes
        if self.out is not None:
            self.out.write(buf)
        return True

    def _feed_general(self, buf: bytes) -> None:
        a = np.frombuffer(buf, dtype=np.uint8)
        n = len(a)
        toggles = self._quote_toggles(a, np.flatnonzero(a == QUOTE))

        # Line breaks: the position of the byte ending each line (the LF of a CRLF).
        lf = np.flatnonzero(a == LF)
        cr = np.flatnonzero(a == CR)
        followed = np.zeros(len(cr), dtype=bool)
        inside_chunk = cr + 1 < n
        followed[inside_chunk] = a[cr[inside_chunk] + 1] == LF
        breaks = np.union1d(lf, cr[~followed])
        kinds = np.full(len(breaks), _LF, dtype=np.int8)
        kinds[np.searchsorted(breaks, cr[~followed])] = _CR
        kinds[np.searchsorted(breaks, cr[followed] + 1)] = _CRLF

        # A break ends a record unless it is inside quotes (an odd number of toggles before it).
        if len(toggles):
            inside = (np.searchsorted(toggles, breaks) & 1).astype(bool) ^ self.in_quote
        else:
            inside = np.full(len(breaks), self.in_quote)
        ends = np.flatnonzero(~inside)  # indices into breaks
        self._records(a, breaks, kinds, ends)

        if len(toggles):
            openings = toggles[(1 if self.in_quote else 0) :: 2]
            # A toggle right after a closing one is the second half of a doubled quote.
            openings = openings[(openings == 0) | (a[np.maximum(openings - 1, 0)] != QUOTE)]
            if len(openings):
                self.quote_open_line = self.line + int(np.searchsorted(breaks, openings[-1]))
            self.in_quote ^= bool(len(toggles) & 1)
        if len(ends):
            self.breaks_in_record = len(breaks) - 1 - int(ends[-1])
            self.record_has_bytes = int(breaks[ends[-1]]) + 1 < n
        else:
            self.breaks_in_record += len(breaks)
            self.record_has_bytes = True
        self.line_has_bytes = int(breaks[-1]) + 1 < n if len(breaks) else True
        self.line += len(breaks)
        if self.out is not None:
            self._rewrite(a, breaks[ends], kinds[ends])

    def _records(self, a: np.ndarray, breaks: np.ndarray, kinds: np.ndarray, ends: np.ndarray) -> None:
        """Account for the records that end in this chunk (ends: indices into breaks)."""
        if not len(ends):
            if not self.header_done:
                self.header += a.tobytes()
            return
        end_pos = breaks[ends]
        end_kind = kinds[ends]
        end_lines = self.line + ends  # break i ends line self.line + i
        ordinals = self.ordinal + np.arange(len(ends))
        starts = np.concatenate(([0], end_pos[:-1] + 1))
        blank = end_pos - (end_kind == _CRLF) == starts
        if self.record_has_bytes or self.breaks_in_record:
            blank[0] = False  # the record began in an earlier chunk
        extra = np.diff(ends, prepend=-1 - self.breaks_in_record) - 1  # line breaks inside quotes

        first = 0  # the first record that is data, not the header
        if not self.header_done:
            self.header += a[: int(end_pos[0] - (end_kind[0] == _CRLF))].tobytes()
            self.header_done = True
            self.first_ending = int(end_kind[0])
            first = 1
        if self.first_other is None:
            other = np.flatnonzero(end_kind != self.first_ending)
            if len(other):
                self.first_other = (int(end_kind[other[0]]), int(end_lines[other[0]]))
        self.endings = [e + int(n) for e, n in zip(self.endings, np.bincount(end_kind, minlength=3), strict=True)]

        data_blank = blank[first:]
        if data_blank.any():
            if self.blank_first_line is None:
                self.blank_first_line = int(end_lines[first:][data_blank][0])
            self.blank_ordinals.extend(ordinals[first:][data_blank].tolist())
        multi = np.flatnonzero(extra > 0)
        self.multi_line.extend(zip(ordinals[multi].tolist(), extra[multi].tolist(), strict=True))
        self.records += len(ends) - first - int(data_blank.sum())
        self.ordinal += len(ends)

    def _quote_toggles(self, a: np.ndarray, quotes: np.ndarray) -> np.ndarray:
        """Positions where the inside-quotes state flips, by the parser's rules."""
        if not len(quotes):
            return quotes
        # Nearly always every quote flips the state: check that each one that would open a value
        # starts a field (after a comma, a line end, or the quote that closed the previous value).
        openings = quotes[(1 if self.in_quote else 0)::2]
        prev = np.where(openings > 0, a[np.maximum(openings - 1, 0)], self.prev_byte)
        if np.isin(prev, (COMMA, LF, CR, QUOTE)).all():
            return quotes
        return self._quote_toggles_one_by_one(a, quotes)

    def _quote_toggles_one_by_one(self, a: np.ndarray, quotes: np.ndarray) -> np.ndarray:
        """The exact rules, quote by quote: for chunks with a quote inside an unquoted field."""
        toggles = []
        inside = self.in_quote
        i, n = 0, len(quotes)
        while i < n:
            p = int(quotes[i])
            if inside:
                if i + 1 < n and quotes[i + 1] == p + 1:  # a doubled quote is a quote
                    i += 2
                    continue
                toggles.append(p)
                inside = False
            elif (a[p - 1] if p else self.prev_byte) in (COMMA, LF, CR):
                toggles.append(p)
                inside = True
            i += 1
        return np.array(toggles, dtype=np.int64)

    def _rewrite(self, a: np.ndarray, end_pos: np.ndarray, end_kind: np.ndarray) -> None:
        """Write the chunk with every record end made LF."""
        assert self.out is not None
        lone_cr = end_pos[end_kind == _CR]
        crlf_cr = end_pos[end_kind == _CRLF] - 1
        if not len(lone_cr) and not len(crlf_cr):
            self.out.write(a.tobytes())
            return
        out = a.copy()
        out[lone_cr] = LF
        keep = np.ones(len(a), dtype=bool)
        keep[crlf_cr] = False
        self.out.write(out[keep].tobytes())
