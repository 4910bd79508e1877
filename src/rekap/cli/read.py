"""`rekap read PHOTO...`: read photos of C.Hasil PPWP pages.

With `--json`, the output is a contract other tools rely on: one JSON object per photo
and line, in the order given:

    {"path", "page": 1|2|3|null, "status": "ok"|"not_a_form"|"page_incomplete"|"unreadable",
     "reason", "fields": {"<field id>": {"value": int|null, "status": "read"|"abstain",
     "confidence", "alternatives": [[value, p], ...], "box": [x0, y0, x1, y1], ...}}}

Boxes are in millimetres of the page template. A bad photo never stops the command: it
gets a status and a reason, and no number is ever given for a page that was not located.
Each photo's line is written as soon as it is read (with `--same-tps`, once all are read,
as they are decided together). `-` reads one photo from standard input.

Exit status: 0 when every photo got its line, whatever its status (an unreadable photo or
one that is not a form is a valid reading under the contract: look at each line's
`status`); 2 for a usage error or when the digit classifier is missing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rekap.cli.photo_file import read_named_input, standard_input, stdin_named_once
from rekap.reading.classifier import DigitBoxClassifier
from rekap.reading.pipeline import PageReader
from rekap.reading.result import PageReading
from rekap.reading.tps import decide_tps

console = Console(stderr=True)


def _classifier() -> DigitBoxClassifier:
    """The shipped ONNX digit classifier; a clear message and exit 2 when it is missing."""
    try:
        from rekap.reading.digits import OnnxDigitClassifier

        return OnnxDigitClassifier()
    except Exception as error:  # missing module or model, or a model that fails to load
        console.print(
            "[red]The digit-box classifier is not available[/red] "
            f"({escape(type(error).__name__)}: {escape(str(error))}).\n"
            "It ships as rekap/reading/models/digits.onnx, made by training/train_digits.py."
        )
        raise typer.Exit(2) from error


def _read_one(reader: PageReader, path: str) -> PageReading:
    data = read_named_input(path, standard_input)
    if isinstance(data, str):
        return PageReading("unreadable", data, None)
    try:
        return reader.read(data)
    except Exception as error:  # a bug in a stage must not stop the other photos
        return PageReading("unreadable", f"reader failed: {type(error).__name__}: {error}", None)


def _table(path: str, reading: PageReading) -> Table:
    title = f"{escape(path)}: page {reading.page or '?'}, {reading.status}"
    table = Table(title=title, caption=escape(reading.reason), show_lines=False)
    # the field id is never cut short (page 1's run to 27 characters): the others wrap
    widest = max((len(field.field_id) for field in reading.fields), default=5)
    table.add_column("field", no_wrap=True, min_width=widest)
    for column in ("value", "status", "confidence", "alternatives", "reason"):
        table.add_column(column)
    for field in reading.fields:
        alternatives = ", ".join(f"{v} ({p:.2f})" for v, p in field.alternatives[:3])
        table.add_row(
            escape(field.field_id),
            "" if field.value is None else str(field.value),
            field.status,
            f"{field.confidence:.3f}",
            alternatives,
            escape(field.reason),
        )
    return table


def read(
    photos: Annotated[
        list[str],
        # taken as given (and printed so, `./a.jpg` as `./a.jpg`); a file it cannot read gets
        # its line ("unreadable", the reason), and the others theirs
        typer.Argument(
            help="Photos of C.Hasil PPWP pages (JPEG, PNG, WebP...); - reads one photo from "
            "standard input (a file named - is ./-)."
        ),
    ],
    json_: Annotated[
        bool, typer.Option("--json", help="One JSON object per photo and line (the contract).")
    ] = False,
    same_tps: Annotated[
        bool,
        typer.Option(
            "--same-tps",
            help="The photos are pages of one TPS: decide their fields together, through "
            "the identities that cross pages (sum of paslon = suara sah, ballots used = "
            "suara total).",
        ),
    ] = False,
) -> None:
    """Read photos of C.Hasil PPWP pages: every number, its confidence, or why not.

    Each photo's result is printed as soon as it is read (with --same-tps, once all are
    read). Exit status: 0 when every photo got its result, whatever its status (an
    unreadable photo, or one that is not a form, is a valid reading: look at its status);
    2 for a usage error or when the digit classifier is missing.
    """
    stdin_named_once(photos, "PHOTOS")
    reader = PageReader(_classifier())
    if same_tps:
        readings = decide_tps([_read_one(reader, path) for path in photos])
        for path, reading in zip(photos, readings, strict=True):
            _print(path, reading, json_)
        return
    for path in photos:
        _print(path, _read_one(reader, path), json_)


def _print(path: str, reading: PageReading, as_json: bool) -> None:
    if as_json:
        record: dict[str, Any] = {"path": path, **reading.to_json()}
        # ASCII: a file name that is not UTF-8 is escaped, the line stays valid UTF-8
        typer.echo(json.dumps(record, ensure_ascii=True))
    else:
        Console().print(_table(path, reading))
