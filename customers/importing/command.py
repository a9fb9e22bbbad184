"""What every `import_*` management command shares: options, a progress bar, and the printed report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from customers.importing import report
from customers.importing.service import run_import
from customers.importing.source import ENCODINGS
from customers.models import ImportRun


class _AsWritten:
    """A command's stderr for tqdm: each write goes out as it is, unstyled. OutputWrapper.write would end every
    write with a newline (tqdm redraws its line with "\r") and colour it as an error on a terminal."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text, style_func=lambda unstyled: unstyled, ending="")

    def __getattr__(self, name: str):
        return getattr(self.stream, name)  # flush, isatty, fileno: the stream's own


class ImportCommand(BaseCommand):
    """Base for the import commands; subclasses set `formats` (the --format choices, first is default)."""

    formats: dict[str, str] = {}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file, plain or gzip-compressed.")
        choices = list(self.formats)
        parser.add_argument("--format", choices=choices, default=choices[0], help="Layout of the file.")
        parser.add_argument("--strict", action="store_true", help="Reject the whole file on the first bad row.")
        parser.add_argument(
            "--encoding",
            help="Text encoding (utf-8, cp1252, latin-1, utf-16, utf-32...); detected if unset (UTF-16 and UTF-32 "
            "by their byte-order mark).",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FILE_COLUMN=COLUMN",
            help="Read the file's FILE_COLUMN as COLUMN; repeat for several.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        encoding = (options["encoding"] or "").strip().lower()
        if encoding and encoding not in ENCODINGS:
            known = ", ".join(sorted(set(ENCODINGS.values())))
            raise CommandError(f"--encoding {options['encoding']!r} is not known; use one of {known}.")
        column_map = {}
        for pair in options["map"]:
            source, sep, target = pair.partition("=")
            if not sep or not source or not target:
                raise CommandError(f"--map {pair!r}: write it as FILE_COLUMN=COLUMN.")
            column_map[source] = target
        run = ImportRun.objects.create(
            format=self.formats[options["format"]],
            strict=options["strict"],
            file_name=path.name,
            encoding=ENCODINGS.get(encoding, ""),
            column_map=column_map,
        )
        bar = None
        if not options["no_progress"]:
            from tqdm import tqdm

            bar = tqdm(
                total=100,
                unit="%",
                desc=f"Importing {path.name}",
                file=_AsWritten(self.stderr),
                dynamic_ncols=True,  # the terminal's width, which tqdm reads only from sys.stderr itself otherwise
                leave=False,
            )

        def show(current: ImportRun) -> None:
            if bar is not None:
                bar.set_postfix_str(f"{current.stage}, {current.rows_read:,} rows")
                bar.update(round(current.progress * 100) - bar.n)

        run = run_import(run.pk, path, on_progress=show)
        if bar is not None:
            bar.close()
        self.report(run)
        if run.status != ImportRun.Status.SUCCEEDED:
            raise CommandError(f"Import failed: {run.error}")

    def report(self, run: ImportRun) -> None:
        """Print the data-quality report: every count, the timings and where the rejected rows are; the last
        line is the one-line summary (rows imported, rejected and why)."""
        self.stdout.write(f"Import #{run.pk} of {run.file_name} ({report.size(run)}): {run.status}")
        counts = report.labelled_counts(run)
        width = max((len(label) for label, _ in counts), default=10)
        for label, value in counts:
            self.stdout.write(f"  {label:<{width}}  {value:>10,}")
        if run.timings:
            self.stdout.write("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in run.timings.items()))
        for error in run.errors[:10]:
            self.stdout.write(f"  line {error['line']}: {error['column']} {error['value']!r} {error['reason']}")
        if run.error_count:
            self.stdout.write(f"  {run.error_count:,} rows rejected; all listed in {run.errors_file.name}")
        if run.status == ImportRun.Status.SUCCEEDED:
            self.stdout.write(run.summary)
