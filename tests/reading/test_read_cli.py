"""`rekap read`: one JSON object per photo and line, whatever the photo, printed as soon as it
is read; `-` is standard input; the table shows every field id whole."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import types
from pathlib import Path

import pytest
import typer
from page_drawing import GlyphClassifier, PhotoMaker
from typer.testing import CliRunner

from rekap.cli import read as read_command
from rekap.reading.template import load_page_template

CONTRACT_KEYS = {"path", "page", "status", "reason", "fields"}
FIELD_KEYS = {"value", "status", "confidence", "alternatives", "box"}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(read_command.read)
    return app


def test_every_photo_gets_one_json_line(
    tmp_path: Path,
    page_photo: PhotoMaker,
    glyph_classifier: GlyphClassifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read_command, "_classifier", lambda: glyph_classifier)
    good = tmp_path / "hal2.jpg"
    good.write_bytes(page_photo(2, {"paslon_1": "123"}, {"paslon_1": "123"}))
    junk = tmp_path / "notes.txt"
    junk.write_text("not a photo")
    missing = tmp_path / "missing.jpg"
    result = CliRunner().invoke(_app(), [str(good), str(junk), str(missing), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(good), str(junk), str(missing)]
    assert all(set(line) == CONTRACT_KEYS for line in lines)
    first, second, third = lines
    assert (first["page"], first["status"]) == (2, "ok")
    assert set(first["fields"]) == {"paslon_1", "paslon_2", "paslon_3"}
    paslon_1 = first["fields"]["paslon_1"]
    assert set(paslon_1) >= FIELD_KEYS
    assert (paslon_1["value"], paslon_1["status"]) == (123, "read")
    assert paslon_1["alternatives"][0][0] == 123 and len(paslon_1["box"]) == 4
    assert first["fields"]["paslon_2"] == first["fields"]["paslon_2"] | {
        "value": None,
        "status": "abstain",
    }
    assert (second["status"], second["page"], second["fields"]) == ("unreadable", None, {})
    assert "not an image" in second["reason"]
    assert (third["status"], third["reason"]) == ("unreadable", "no such file")


def test_a_missing_digit_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("rekap/reading/models/digits.onnx")

    module = types.ModuleType("rekap.reading.digits")
    module.OnnxDigitClassifier = unavailable  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rekap.reading.digits", module)
    photo = tmp_path / "hal2.jpg"
    photo.write_bytes(b"whatever")
    result = CliRunner().invoke(_app(), [str(photo), "--json"])
    assert result.exit_code == 2
    assert "digit-box classifier is not available" in result.output


def test_pages_of_one_tps_are_decided_together_and_a_written_mistake_stays(
    shared_dir: Path,
) -> None:
    """The kawalc1 TPS wrote 123 + 274 + 32 = 429 votes but 427 suara sah: read together,
    the pages keep what is written (the rules, not the reader, report the mistake)."""
    photos = shared_dir / "data" / "forms" / "kawalc1"
    names = ["pilpres-2024-hal2.jpg", "pilpres-2024-hal3.jpg"]
    result = CliRunner().invoke(_app(), [*(str(photos / n) for n in names), "--same-tps", "--json"])
    assert result.exit_code == 0, result.output
    pages = [json.loads(line) for line in result.output.splitlines()]
    values = {k: f["value"] for page in pages for k, f in page["fields"].items()}
    assert values == {
        "paslon_1": 123,
        "paslon_2": 274,
        "paslon_3": 32,
        "suara_sah": 427,
        "suara_tidak_sah": 3,
        "suara_total": 430,
    }
    assert all(page["fields"][k]["marks"]["boxes"] for page in pages for k in page["fields"])


def test_each_photo_is_printed_as_soon_as_it_is_read_and_dash_is_standard_input(
    shared_dir: Path,
) -> None:
    """The first photo's line comes while the second (standard input) is still being sent."""
    photo = str(shared_dir / "data" / "forms" / "kawalc1" / "pilpres-2024-hal2.jpg")
    rekap = str(Path(sys.executable).parent / "rekap")
    with subprocess.Popen(
        [rekap, "read", "--json", photo, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready, "no line before standard input was closed"
        first = json.loads(process.stdout.readline())
        process.stdin.write(b"not a photo")
        process.stdin.close()
        second = json.loads(process.stdout.readline())
        assert process.wait(timeout=60) == 0
    assert (first["path"], first["status"]) == (photo, "ok")
    assert (second["path"], second["status"]) == ("-", "unreadable")
    assert "not an image" in second["reason"]


def test_standard_input_is_one_file_and_the_exit_status_is_documented(
    tmp_path: Path, glyph_classifier: GlyphClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_command, "_classifier", lambda: glyph_classifier)
    twice = CliRunner().invoke(_app(), ["-", "-"], input=b"", env={"COLUMNS": "200"})
    assert twice.exit_code == 2 and "holds one file" in " ".join(twice.output.split()), twice.output
    empty = CliRunner().invoke(_app(), ["-", "--json"], input=b"")
    assert empty.exit_code == 0  # every photo unreadable: each still has its reading
    assert json.loads(empty.stdout) | {"reason": "empty file"} == json.loads(empty.stdout)
    usage = CliRunner().invoke(_app(), ["--help"], env={"COLUMNS": "200"})
    assert "Exit status: 0 when every photo got its result" in " ".join(usage.output.split())


def test_the_table_never_cuts_a_field_id_short(
    tmp_path: Path,
    page_photo: PhotoMaker,
    glyph_classifier: GlyphClassifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read_command, "_classifier", lambda: glyph_classifier)
    photo = tmp_path / "hal1.jpg"
    photo.write_bytes(page_photo(1))
    result = CliRunner().invoke(_app(), [str(photo)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "page 1, ok" in " ".join(result.output.split()), result.output
    shown = result.output.split()
    assert all(field.id in shown for field in load_page_template(1).fields), result.output
