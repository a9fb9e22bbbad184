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
ENCODINGS = {"utf-8", "utf-8-sig", "cp1252", "latin-1"}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not CSV, wrong header, undecodable); the message says why."""


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
    """UTF-8 (with or without a byte-order mark) if the sample decodes as UTF-8, else Windows-1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not evidence against UTF-8.
        if exc.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


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
        if encoding and encoding.lower() not in ENCODINGS:
            raise ImportFileError(f"Unknown encoding {encoding!r}; use one of {', '.join(sorted(ENCODINGS))}.")
        self.encoding = encoding.lower() if encoding else None
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
                raise ImportFileError(f"{self.path.name} is not a readable gzip file: {exc}") from None
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
        names = [self.column_map.get(name.strip(), name.strip()) for name in header]
        missing = [name for name in self.required if name not in names]
        if missing:
            raise ImportFileError(
                f"{self.path.name}: the header has no column {', '.join(missing)}. "
                f"Expected columns: {', '.join(self.expected)}; found: {', '.join(header[:20]) or '(none)'}. "
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
                yield SourceRow(line, {name: fields[i] for i, name in wanted})
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{self.path.name}: line {reader.line_num + 1} is not valid {self.encoding} ({exc.reason}); "
                "choose the file's encoding with --encoding (for example cp1252)."
            ) from None
        except csv.Error as exc:
            raise ImportFileError(f"{self.path.name}: line {reader.line_num} is not valid CSV: {exc}.") from None
        except (OSError, EOFError) as exc:
            raise ImportFileError(f"{self.path.name} could not be read: {exc}") from None
