"""`rekap digits classify IMAGE...`: read digit-box crops with the shipped classifier.

The JSON-lines output is a contract other tools rely on: one object per image, in the
order given, `{"path", "label", "value", "confidence"}` with label "0".."9", "X" or
"blank" (value 0 for X and blank), or `{"path", "error"}` for a file that cannot be read.
`-` reads one image from standard input.

Exit status: 0 when every image was classified; 1 when any could not be read (each still
gets its line, in order, after every other image was read: an `error` line is no
classification, unlike `rekap read`'s unreadable photo, which is a reading); 2 for a usage
error.

Images are read as the form's boxes look (`rekap.reading.box_input`): a light digit on a
dark ground (as MNIST stores digits, or a box stored inverted) is turned dark on light, a
transparent ground is laid on white, 16-bit levels are brought to 8 bits, a box cut with a
wide margin around its printed border is cut to the border, and a digit far lighter than
the border is darkened. A tiny or blown-out box is read with doubt (a lower confidence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

import cv2
import numpy as np
import typer
from numpy.typing import NDArray
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rekap.cli.photo_file import read_named_input, standard_input, stdin_named_once
from rekap.reading.box_input import as_box_crop, doubt_of
from rekap.reading.decode import crop_header, upright
from rekap.reading.digits import DigitReading, OnnxDigitClassifier

app = typer.Typer(
    help="Read handwritten digit boxes (0-9, X for a crossed-out box, blank) from crops.",
    no_args_is_help=True,
)

_BATCH = 256


@app.callback()
def digits() -> None:
    """Read handwritten digit boxes with the shipped ONNX model."""


_MIN_SIDE = 4


@dataclass(frozen=True)
class _Outcome:
    path: str  # as given on the command line, printed so
    reading: DigitReading | None = None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        if self.reading is None:
            return {"path": self.path, "error": self.error}
        return {
            "path": self.path,
            "label": self.reading.label,
            "value": self.reading.value,
            "confidence": round(self.reading.confidence, 6),
        }


def _load(path: str) -> NDArray[np.uint8] | str:
    """The image as BGR uint8 with the digit dark on a light ground, or why it cannot be
    read. Digit collections come in other shapes than the form's photographed boxes: a
    transparent ground is laid on white, 16-bit levels are brought to 8, and a light digit
    on a dark ground (MNIST's way) is inverted (``as_dark_on_light``), and a box cut loosely
    is cut again to its printed border (``framed_on_box``). The file's bytes are
    decoded (a path is never handed to OpenCV, which cannot take every file name), turned
    upright as its EXIF says, and a large image is made small first: a box is 32 pixels to
    the model."""
    data = read_named_input(path, standard_input)
    if isinstance(data, str):
        return data
    orientation = crop_header(data, MAX_CROP_PIXELS)
    if isinstance(orientation, str):
        return orientation
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as problem:
        return f"unreadable image ({problem.msg.strip()})"
    if image is None:
        return "not an image, or an unreadable one"
    if min(image.shape[:2]) < _MIN_SIDE:
        return f"image too small ({image.shape[1]}x{image.shape[0]} pixels)"
    image = upright(np.asarray(image), orientation)
    return as_box_crop(image)


MAX_CROP_PIXELS = 4_000_000
"""A digit box is a few thousand pixels, seen by the model at 32 × 32: a crop beyond this is
refused before it is decoded (a decompression bomb, or no crop at all)."""


def _load_safely(path: str) -> NDArray[np.uint8] | str:
    try:
        return _load(path)
    except MemoryError:
        return "image too large to read"
    except Exception as error:  # one odd file must not lose the others' readings
        return f"unreadable image ({type(error).__name__}: {error})"


def _read_all(paths: list[str], classifier: OnnxDigitClassifier) -> list[_Outcome]:
    loaded = [(path, _load_safely(path)) for path in paths]
    readable = [(i, image) for i, (_, image) in enumerate(loaded) if not isinstance(image, str)]
    readings: dict[int, DigitReading] = {}
    for start in range(0, len(readable), _BATCH):
        chunk = readable[start : start + _BATCH]
        for (index, _), reading in zip(
            chunk,
            classifier.classify([im for _, im in chunk], [doubt_of(im) for _, im in chunk]),
            strict=True,
        ):
            readings[index] = reading
    return [
        _Outcome(path, error=image) if isinstance(image, str) else _Outcome(path, readings[i])
        for i, (path, image) in enumerate(loaded)
    ]


def _table(outcomes: list[_Outcome]) -> Table:
    table = Table("image", "label", "value", "confidence")
    for outcome in outcomes:
        if outcome.reading is None:
            error = escape(outcome.error or "")
            table.add_row(escape(outcome.path), f"[red]error: {error}[/red]", "", "")
        else:
            reading = outcome.reading
            confidence = f"{reading.confidence:.3f}"
            table.add_row(escape(outcome.path), reading.label, str(reading.value), confidence)
    return table


@app.command("classify")
def classify(
    images: Annotated[
        list[str],
        # taken as given (and printed so, `./a.png` as `./a.png`); a file it cannot read
        # gets its own line, as any other it cannot use (not an error that stops the others)
        typer.Argument(
            help="Digit-box crops (PNG, JPEG, ...); - reads one crop from standard input (a "
            "file named - is ./-)."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per image per line.")
    ] = False,
) -> None:
    """Classify each digit-box image as 0-9, X (crossed out) or blank.

    Exit status: 0 when every image was classified; 1 when any could not be read (it gets
    its line with the reason, the others theirs, first); 2 for a usage error.
    """
    stdin_named_once(images, "IMAGES")
    classifier = OnnxDigitClassifier()
    outcomes = _read_all(images, classifier)
    if as_json:
        for outcome in outcomes:
            typer.echo(json.dumps(outcome.as_json()))
    else:
        Console().print(_table(outcomes))
    failures = sum(outcome.reading is None for outcome in outcomes)
    if failures:
        typer.echo(f"{failures} of {len(outcomes)} images could not be read", err=True)
        raise typer.Exit(code=1)
