"""Reading an import file: gzip or plain, its text encoding, its header, streamed row by row.

Nothing here loads the whole file: rows are yielded one at a time with their line numbers, so a 500 MB file
costs the same memory as a 5 KB one.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 1 << 20  # enough to tell UTF-8 from Windows-1252 in practice
# The encodings an import may name (--encoding, the admin's field), by every spelling accepted -> the one used.
ENCODINGS = {
    **dict.fromkeys(["utf-8", "utf8"], "utf-8"),
    **dict.fromkeys(["utf-8-sig", "utf8-sig"], "utf-8-sig"),
    **dict.fromkeys(["cp1252", "windows-1252"], "cp1252"),
    **dict.fromkeys(["latin-1", "latin1", "iso-8859-1"], "latin-1"),
    **{name: name for name in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")},
}
# Byte-order marks, longest first: UTF-32-LE's begins with UTF-16-LE's. Python's utf-16 and utf-32 codecs read
# the mark and the byte order from it.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# No supported layout has more than a dozen columns: a header far wider is not an export of one (and each of
# its rows would cost as much to read as a hundred ordinary ones).
MAX_COLUMNS = 500
# The longest field csv reads (Python's default); a longer one is refused with its line.
MAX_FIELD_CHARS = csv.field_size_limit()


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not CSV, wrong header, undecodable); the message says why."""


def printable(text: str) -> str:
    """`text` with NUL characters written as \\x00: PostgreSQL cannot store a NUL in text or JSON, and a message
    quoting a value must be saved to say what went wrong."""
    return text.replace("\x00", "\\x00")


@dataclass(frozen=True)
class SourceRow:
    """One data row: its 1-based line number in the file (the header is line 1) and its values by column."""

    line: int
    values: dict[str, str]


class _Progress(io.RawIOBase):
    """Wraps the raw file to expose how many bytes of it were read so far, gzip or not."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.bytes_read += n or 0
        return n


def detect_encoding(sample: bytes) -> str:
    """The encoding its byte-order mark names (UTF-8, UTF-16, UTF-32); without one, UTF-8 if the sample decodes
    as UTF-8, else Windows-1252. A sample with NUL bytes and no mark is UTF-16 or UTF-32 of unknown byte order:
    refused, naming the encodings to choose from (a stray NUL in UTF-8 text is left to the row it is in)."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if sample.startswith(mark):
            return encoding
    head = sample[:4096]
    if head.count(b"\x00") > len(head) // 4:  # in UTF-16 every other byte of plain text is NUL
        raise ImportFileError(
            "the file holds NUL bytes and has no byte-order mark: it looks like UTF-16 or UTF-32 text. "
            "Choose its encoding (utf-16-le, utf-16-be, utf-32-le or utf-32-be), or save it as UTF-8."
        )
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not evidence against UTF-8.
        if exc.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


def _gzip_problem(name: str, exc: Exception) -> ImportFileError:
    if isinstance(exc, EOFError):
        return ImportFileError(
            f"{name} is a truncated gzip file: it ends before its end-of-stream marker, so the upload or copy was "
            "cut short. Nothing was imported; send the whole file again."
        )
    return ImportFileError(f"{name} is not a readable gzip file ({exc}). Nothing was imported.")


class CsvSource:
    """An import file opened for streaming. Use as a context manager; iterate `rows()` once."""

    def __init__(
        self,
        path: str | Path,
        expected: Sequence[str],
        *,
        required: Sequence[str] | None = None,
        encoding: str | None = None,
        column_map: Mapping[str, str] | None = None,
    ):
        self.path = Path(path)
        self.expected = list(expected)
        self.required = list(required if required is not None else expected)
        self.column_map = dict(column_map or {})
        if encoding and encoding.strip().lower() not in ENCODINGS:
            raise ImportFileError(
                f"Unknown encoding {printable(encoding)!r}; use one of {', '.join(sorted(set(ENCODINGS.values())))}."
            )
        self.encoding = ENCODINGS[encoding.strip().lower()] if encoding else None
        self.size = self.path.stat().st_size
        self._raw = None
        self._counter: _Progress | None = None

    def __enter__(self) -> CsvSource:
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in __exit__
        head = self._raw.read(2)
        self._raw.seek(0)
        self._counter = _Progress(self._raw)
        buffered = io.BufferedReader(self._counter, 1 << 16)
        self.compressed = head == GZIP_MAGIC
        self._binary = gzip.GzipFile(fileobj=buffered) if self.compressed else buffered
        if self.encoding is None:
            try:
                self.encoding = detect_encoding(self._binary.peek(SNIFF_BYTES)[:SNIFF_BYTES])
            except (OSError, EOFError) as exc:
                raise _gzip_problem(self.path.name, exc) from None
            except ImportFileError as exc:
                raise ImportFileError(f"{self.path.name}: {exc}") from None
        elif self.encoding == "utf-8":
            # A UTF-8 file saved with a byte-order mark: the mark is not part of the first column's name.
            self.encoding = "utf-8-sig"
        return self

    def __exit__(self, *exc_info) -> None:
        if self._raw is not None:
            self._raw.close()

    @property
    def fraction_read(self) -> float:
        """How far through the file we are, from 0 to 1 (by bytes of the file on disk)."""
        return min(1.0, (self._counter.bytes_read if self._counter else 0) / max(self.size, 1))

    def _header(self, reader) -> list[str]:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(f"{self.path.name} is empty: expected a header line.") from None
        if len(header) > MAX_COLUMNS:
            raise ImportFileError(
                f"{self.path.name}: the header has {len(header):,} columns; an import file may have at most "
                f"{MAX_COLUMNS:,} (this format reads {len(self.expected)}: {', '.join(self.expected)})."
            )
        names = [self.column_map.get(name.strip(), name.strip()) for name in header]
        missing = [name for name in self.required if name not in names]
        if missing:
            found = printable(", ".join(header[:20]))[:1000] or "(none)"
            raise ImportFileError(
                f"{self.path.name}: the header has no column {', '.join(missing)}. "
                f"Expected columns: {', '.join(self.expected)}; found: {found}. "
                "Map differently named columns with --map FILE_COLUMN=COLUMN."
            )
        return names

    def rows(self) -> Iterator[SourceRow]:
        """Yield every data row. Blank lines are skipped; a row with the wrong number of fields is yielded
        with the key None holding the problem, so the caller can reject it with its line number."""
        text = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="")
        reader = csv.reader(text)
        try:
            names = self._header(reader)
            width = len(names)
            wanted = [(i, name) for i, name in enumerate(names) if name in self.expected]
            for fields in reader:
                line = reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if len(fields) != width:
                    yield SourceRow(line, {None: f"has {len(fields)} fields, the header has {width}"})
                    continue
                values = {name: fields[i] for i, name in wanted}
                if "\x00" in "".join(values.values()):  # one C-speed scan per row; the column is found on a hit
                    column = next(name for name, value in values.items() if "\x00" in value)
                    yield SourceRow(line, {None: f"holds a NUL character in {column}"})
                    continue
                yield SourceRow(line, values)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{self.path.name}: line {reader.line_num + 1} is not valid {self.encoding} ({exc.reason}); "
                "choose the file's encoding with --encoding (for example cp1252)."
            ) from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ImportFileError(
                    f"{self.path.name}: line {reader.line_num} has a field longer than {MAX_FIELD_CHARS:,} "
                    "characters (or a quote that is never closed). Nothing was imported."
                ) from None
            raise ImportFileError(
                f"{self.path.name}: line {reader.line_num} is not valid CSV: {printable(str(exc))}."
            ) from None
        except (OSError, EOFError) as exc:
            if self.compressed:
                raise _gzip_problem(self.path.name, exc) from None
            raise ImportFileError(f"{self.path.name} could not be read: {exc}") from None
