"""All-or-nothing CSV imports: the `flask` commands that load what another system exports
(conventions, MSA payments, Apgis reimbursements). One shape for all of them:

    report = SomeReport()                     # an ImportReport with the counts of its import
    for number, line in csv_lines(data, COLUMNS, report, optional=1):
        try:
            ...                               # check `line` ({column: cell}), stage the rows
        except SomeRefusal as refusal:
            report.errors.append((number, str(refusal)))
    # the caller (finish_import) rolls back when report.errors, else commits

The file is UTF-8 (a BOM is fine), `;`-separated, its first line the header; blank lines are
skipped; a line with the wrong number of cells is reported and skipped; every bad line is
reported with its number and nothing is saved from a bad file."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import click

from extensions import db


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


def csv_lines(data: bytes, columns: tuple[str, ...], report: ImportReport,
              optional: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) of each non-blank line after the header; the header may leave
    out the last `optional` columns (they are then absent from the lines). A file that is not
    UTF-8 or whose header is wrong gives one error and no line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.errors.append((1 + data[:error.start].count(b"\n"), "not UTF-8 text (save the file as CSV UTF-8)"))
        return
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = tuple(h.strip().lower() for h in next(rows, None) or ())
    if header not in [columns[:len(columns) - left_out] for left_out in range(optional + 1)]:
        hint = f" ({', '.join(columns[-optional:])} may be left out)" if optional else ""
        report.errors.append((1, "the first line must be the header " + ";".join(columns) + hint))
        return
    for row in rows:
        number = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            report.errors.append((number, f"{len(row)} columns instead of {len(header)}"))
            continue
        yield number, dict(zip(header, row, strict=True))


def finish_import(report: ImportReport, dry_run: bool, summary: Iterable[str]) -> None:
    """The end of an import command: with errors, everything rolled back and each bad line printed
    (exit status 1); else committed (rolled back on a dry run) and the summary printed."""
    if not report.ok:
        db.session.rollback()
        for number, reason in report.errors:
            click.echo(f"line {number}: {reason}", err=True)
        raise click.ClickException(f"{len(report.errors)} bad line(s): nothing was imported.")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    lines = list(summary)
    for line in lines[:-1]:
        click.echo(line)
    if lines:
        click.echo(lines[-1] + (" (dry run: nothing saved)." if dry_run else "."))
