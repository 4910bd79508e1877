"""Inputs a review found to crash, stall or mislead the reader and `rekap digits classify`:
odd file names, pipes and devices, bombs, EXIF-turned crops, 16-bit pages, a page far off in a
large photo, photos of grids that kept the fiducial and tag searches busy for minutes, a form
smeared by a shaking phone (called not a form) and a JPEG with corrupt data (read by what
its garbled pixels looked like)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from page_drawing import GlyphClassifier, PhotoMaker, draw_page, encode, photograph
from PIL import Image

from rekap.cli.photo_file import read_photo_file
from rekap.reading import decode, fiducials, locate, quality
from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.fiducials import FiducialCandidate
from rekap.reading.pipeline import PageReader
from rekap.reading.template import load_page_template

REKAP = str(Path(sys.executable).parent / "rekap")
PAGE_2 = {"paslon_1": "123", "paslon_2": "X74", "paslon_3": "XX5"}
BUBBLES_2 = {"paslon_1": "123", "paslon_2": "-74", "paslon_3": "005"}
EXPECTED_2 = {"paslon_1": 123, "paslon_2": 74, "paslon_3": 5}


@pytest.fixture(scope="module")
def reader(glyph_classifier: GlyphClassifier) -> PageReader:
    return PageReader(glyph_classifier)


def _crop() -> bytes:
    """A digit box: a printed border and a stroke, as PNG."""
    box = np.full((40, 32), 245, np.uint8)
    cv2.rectangle(box, (1, 1), (30, 38), 60, 1)
    cv2.line(box, (16, 8), (16, 32), 20, 3)
    return bytes(cv2.imencode(".png", box)[1])


def _classify(*paths: str | bytes, cwd: Path) -> list[str]:
    """`rekap digits classify --json` in a process of its own (a crash must not take the
    test run with it)."""
    command = [REKAP, "digits", "classify", *paths, "--json"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
    return done.stdout.decode(errors="replace").splitlines()


def test_digits_takes_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    odd = os.fsencode(tmp_path) + b"/bad\xffname.png"
    with open(odd, "wb") as file:
        file.write(_crop())
    (tmp_path / "good.png").write_bytes(_crop())
    lines = _classify(b"bad\xffname.png", "good.png", cwd=tmp_path)
    assert len(lines) == 2 and all('"label"' in line for line in lines)


def test_digits_names_pipes_devices_and_bombs_and_reads_the_rest(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    Image.new("1", (20_000, 20_000)).save(tmp_path / "bomb.png")
    (tmp_path / "good.png").write_bytes(_crop())
    lines = _classify("pipe.png", "/dev/zero", "bomb.png", "good.png", cwd=tmp_path)
    assert "not a plain file" in lines[0] and "not a plain file" in lines[1]
    assert "decompression bomb" in lines[2]
    assert '"label"' in lines[3]


def _label(line: str) -> str:
    return line.split('"label": ')[1].split(",")[0]


def test_digits_turns_a_crop_upright_as_its_exif_says(tmp_path: Path, shared_dir: Path) -> None:
    """Each crop stored turned a quarter, with EXIF orientation 6 to show it upright, reads
    as the upright crop; without the EXIF the same pixels read otherwise for some."""
    crops = sorted((shared_dir / "data" / "digits" / "c1-real").rglob("*.jpg"))[::800]
    names: list[str] = []
    exif = Image.Exif()
    exif[0x0112] = 6
    for number, crop in enumerate(crops):
        upright = Image.open(crop).convert("RGB")
        stored = upright.transpose(Image.Transpose.ROTATE_90)  # shown upright by orientation 6
        stored.save(tmp_path / f"{number}-turned.jpg", exif=exif, quality=95)
        upright.save(tmp_path / f"{number}-upright.jpg", quality=95)
        stored.save(tmp_path / f"{number}-stored.jpg", quality=95)
        names += [f"{number}-{kind}.jpg" for kind in ("turned", "upright", "stored")]
    labels = [_label(line) for line in _classify(*names, cwd=tmp_path)]
    turned, upright_labels, stored_labels = labels[0::3], labels[1::3], labels[2::3]
    assert turned == upright_labels
    assert stored_labels != upright_labels  # the orientation mattered


def test_a_photo_file_must_be_a_plain_file_of_a_sane_size(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "big.jpg").write_bytes(b"\xff" * 2048)
    assert read_photo_file(tmp_path / "pipe.jpg") == "not a plain file (a pipe or a device)"
    assert read_photo_file(Path("/dev/zero")) == "not a plain file (a pipe or a device)"
    assert read_photo_file(tmp_path) == "is a directory, not an image"
    assert read_photo_file(tmp_path / "none.jpg") == "no such file"
    assert read_photo_file(tmp_path / "big.jpg", limit=1024) == "file too large (over 0 MB)"


def test_a_16_bit_grey_page_reads_as_its_8_bit_copy(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    grey = np.asarray(
        cv2.imdecode(np.frombuffer(page_photo(2, PAGE_2, BUBBLES_2), np.uint8), 0), np.uint8
    )
    wide = io.BytesIO()
    Image.fromarray(grey.astype(np.uint16) * 257).save(wide, format="PNG")
    decoded = decode_image(wide.getvalue(), reduction=1)
    assert isinstance(decoded, DecodedImage)
    assert np.array_equal(decoded.gray, grey)
    floats = io.BytesIO()
    Image.fromarray(grey.astype(np.float32) / 255.0).save(floats, format="TIFF")
    decoded = decode_image(floats.getvalue(), reduction=1)
    assert isinstance(decoded, DecodedImage)
    assert np.abs(decoded.gray.astype(int) - grey).max() <= 1


def test_a_page_far_off_in_a_large_photo_is_found_at_full_size(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    """At a quarter and a half of its size the page's fiducials are too small; the reader
    decodes again until it reaches the photo's full size."""
    photo = page_photo(2, PAGE_2, BUBBLES_2, size=(3024, 4032), coverage=0.2, seed=5)
    reading = reader.read(photo)
    assert reading.status == "ok", reading.reason
    assert {f.field_id: f.value for f in reading.fields} == EXPECTED_2


def _grid(hollow: bool) -> np.ndarray:
    image = np.full((1600, 1200), 235, np.uint8)
    for y in range(20, 1580, 26):
        for x in range(20, 1180, 26):
            cv2.rectangle(image, (x, y), (x + 14, y + 14), 30, 2 if hollow else -1)
    return image


def test_a_grid_of_boxes_is_not_searched_for_the_tag_box_by_box() -> None:
    assert locate._quadrilaterals(_grid(hollow=True)) > locate.MAX_TAG_QUADS
    assert locate._find_tag_anywhere(_grid(hollow=True)) == []


def test_only_the_best_pairs_of_squares_are_sorted_out_further(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    sort_out = fiducials._deduplicate

    def counted(candidates: list[FiducialCandidate]) -> list[FiducialCandidate]:
        seen.append(len(candidates))
        return sort_out(candidates)

    monkeypatch.setattr(fiducials, "_deduplicate", counted)
    fiducials.find_fiducial_candidates(_grid(hollow=False))
    assert seen == [fiducials.MAX_PAIRS]


def _crowded_naively(candidates: list[FiducialCandidate]) -> list[FiducialCandidate]:
    return [
        c
        for c in candidates
        if not any(
            k is not c
            and k.side >= fiducials.CROWD_SIZE * c.side
            and np.hypot(c.x - k.x, c.y - k.y) < fiducials.CROWD_RADIUS * max(c.side, k.side)
            for k in candidates
        )
    ]


def test_crowds_are_dropped_as_one_by_one() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        candidates = [
            FiducialCandidate(float(x), float(y), float(s), 0.0)
            for x, y, s in zip(
                rng.uniform(0, 300, 60),
                rng.uniform(0, 300, 60),
                rng.uniform(2, 12, 60),
                strict=True,
            )
        ]
        assert fiducials._isolated(candidates) == _crowded_naively(candidates)


def _streaked(photo: np.ndarray, length: int, degrees: float) -> np.ndarray:
    """The photo smeared along a straight path of `length` pixels, as a moving phone smears."""
    size = length | 1
    centre, half, angle = size // 2, (length - 1) / 2, np.deg2rad(degrees)
    kernel = np.zeros((size, size), np.float32)
    ends = [
        (round(centre + t * half * np.cos(angle)), round(centre + t * half * np.sin(angle)))
        for t in (-1, 1)
    ]
    cv2.line(kernel, ends[0], ends[1], 1.0, 1, cv2.LINE_AA)
    return np.asarray(cv2.filter2D(photo, -1, kernel / kernel.sum()), np.uint8)


def _not_forms() -> dict[str, np.ndarray]:
    """Sharp pictures that are no form: a text page, stripes (blinds), noise, a plain wall."""
    rng = np.random.default_rng(4)
    text = np.full((1500, 2000), 235, np.uint8)
    for y in range(60, 1460, 44):
        for x in range(40, 1800, 230):
            cv2.putText(text, "jumlah", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 30, 2, cv2.LINE_AA)
    columns = np.arange(2000, dtype=np.float32)[None, :].repeat(1500, axis=0)
    rows = np.arange(1500, dtype=np.float32)[:, None].repeat(2000, axis=1)
    slanted = np.sin((columns * np.cos(0.5) + rows * np.sin(0.5)) * 2 * np.pi / 24)
    pictures = {
        "text": text,
        "stripes": np.where(slanted > 0, 215, 40).astype(np.uint8),
        "noise": rng.integers(0, 256, (1500, 2000), dtype=np.uint8),
        "wall": (150 + 40 * columns / 2000).astype(np.uint8),
    }
    return {
        name: np.clip(p + rng.normal(0, 3, p.shape), 0, 255).astype(np.uint8)
        for name, p in pictures.items()
    }


def test_a_form_smeared_by_a_shaking_phone_is_too_blurred(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    """A streak of 24 px in a 2,000 px photo hides the fiducials and the tag; the photo was
    called not a form, and its sender told to photograph the whole page."""
    for degrees in (0, 60, 100):
        smeared = page_photo(2, PAGE_2, BUBBLES_2, edit=lambda p, d=degrees: _streaked(p, 24, d))
        reading = reader.read(smeared)
        assert reading.status == "unreadable", (degrees, reading.reason)
        assert "too blurred" in reading.reason and "hold the phone still" in reading.reason
        assert reading.page is None and reading.fields == ()


def test_only_the_smear_of_a_motion_is_taken_for_one() -> None:
    """Sharp pictures that are no form stay `not_a_form`: their smear is that of print (a
    text page, noise, a wall with nothing to measure) or runs along lines (stripes)."""
    drawn = draw_page(load_page_template(2), PAGE_2, BUBBLES_2)
    form, _ = photograph(drawn)
    assert not quality.assess_quality(form).smear.motion_blurred
    assert quality.assess_quality(_streaked(form, 24, 60)).smear.motion_blurred
    reader = PageReader(GlyphClassifier())
    for name, picture in _not_forms().items():
        smear = quality.assess_quality(picture).smear
        assert smear is not None and not smear.motion_blurred, (name, smear)
        reading = reader.read(encode(picture, quality=92))
        assert reading.status == "not_a_form", (name, reading.reason)


def _damaged(data: bytes, seed: int = 0) -> bytes:
    """The JPEG with 2,000 bytes a third of the way in overwritten at random."""
    broken = bytearray(data)
    at = len(broken) // 3
    broken[at : at + 2000] = np.random.default_rng(seed).integers(0, 256, 2000, np.uint8).tobytes()
    return bytes(broken)


def test_a_jpeg_with_corrupt_data_is_said_to_be_damaged(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    """libjpeg decodes the garbled stream without failing (a warning on stderr): the page was
    reported as what the garbage looked like (`page_incomplete`)."""
    for seed in range(3):
        reading = reader.read(_damaged(page_photo(2, PAGE_2, BUBBLES_2), seed))
        assert reading.status == "unreadable", reading.reason
        assert "damaged" in reading.reason and "send the photo again" in reading.reason
        assert reading.fields == ()


def test_the_jpeg_check_passes_sound_streams_and_names_the_fault() -> None:
    photo, _ = photograph(draw_page(load_page_template(2), PAGE_2, BUBBLES_2))
    sound = [
        encode(photo, quality=92),
        encode(photo, quality=92, progressive=True),
        bytes(cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_RST_INTERVAL, 4])[1]),
    ]
    assert [decode.jpeg_damage(data) for data in sound] == [None, None, None]
    restarts = sound[2]
    swapped = restarts.replace(b"\xff\xd3", b"\xff\xd4", 1)
    assert "restart marker RST4 where RST3 was due" in str(decode.jpeg_damage(swapped))
    assert "invalid marker" in str(decode.jpeg_damage(_damaged(sound[0])))
    assert "end-of-image" in str(decode.jpeg_damage(sound[0][:-2]))


# A second review's cases: a dotted pattern that kept the fiducial pairing busy for minutes,
# a strip, a picture too large to decode whole, an MPO photo, a damaged JPEG that resynchronises
# at restart markers, and a file name that is not UTF-8 in `rekap read --json`.


def test_a_photo_of_a_dotted_pattern_pairs_only_its_largest_squares(reader: PageReader) -> None:
    dots = np.full((4000, 3000), 255, np.uint8)
    for y in range(6, 4000 - 6, 12):
        dots[y : y + 6, :] = np.where((np.arange(3000) % 12) < 6, 0, 255)[None, :]
    paired: list[int] = []
    keep = fiducials.largest

    def counted(squares: list[fiducials._Square], limit: int = fiducials.MAX_SQUARES) -> Any:
        kept = keep(squares, limit)
        paired.append(len(kept))
        return kept

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fiducials, "largest", counted)
        reading = reader.read(bytes(cv2.imencode(".png", dots)[1]))
    assert reading.status == "not_a_form" and reading.fields == ()
    assert max(paired) == fiducials.MAX_SQUARES  # tens of thousands found, the largest kept


def test_the_largest_squares_are_kept() -> None:
    squares = [fiducials._Square(float(i), 0.0, float(i % 7), 0.0) for i in range(50)]
    kept = fiducials.largest(squares, 10)
    assert sorted(s.side for s in kept) == sorted(s.side for s in squares)[-10:]
    assert fiducials.largest(squares[:5], 10) == squares[:5]


def test_a_strip_is_not_a_page() -> None:
    strip = Image.new("L", (200, 5000), 255)
    out = io.BytesIO()
    strip.save(out, format="PNG")
    problem = decode_image(out.getvalue())
    assert not isinstance(problem, DecodedImage)
    assert problem.status == "not_a_form" and "strip of 200x5000" in problem.reason


def test_a_picture_too_large_to_decode_whole_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decode, "MAX_DECODED_BYTES", 2_000_000)
    out = io.BytesIO()
    Image.new("RGBA", (1000, 1000), (255, 255, 255, 255)).save(out, format="PNG")
    problem = decode_image(out.getvalue())
    assert not isinstance(problem, DecodedImage)
    assert "too large to decode: 1000x1000 RGBA pixels take 4 MB" in problem.reason
    grey = io.BytesIO()
    Image.new("L", (1000, 1000), 255).save(grey, format="PNG")  # 1 MB: decoded
    assert isinstance(decode_image(grey.getvalue()), DecodedImage)


def test_an_mpo_photo_is_a_jpeg(reader: PageReader, page_photo: PhotoMaker) -> None:
    """Some phones add a multi-picture block: Pillow calls the file MPO. Its EXIF
    orientation is honoured and it is decoded reduced, as a JPEG is."""
    upright = Image.open(io.BytesIO(page_photo(2, PAGE_2, BUBBLES_2)))
    turned = upright.transpose(Image.Transpose.ROTATE_90)  # stored turned, EXIF says 6
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    turned.save(out, format="MPO", save_all=True, append_images=[turned], exif=exif, quality=92)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    decoded = decode_image(data)
    assert isinstance(decoded, DecodedImage)
    assert (decoded.format, decoded.orientation) == ("JPEG", 6)
    reading = reader.read(data)
    assert reading.status == "ok", reading.reason
    assert reading.geometry is not None and reading.geometry.rotation_degrees == 0
    assert {f.field_id: f.value for f in reading.fields} == EXPECTED_2


def test_a_damaged_jpeg_that_reads_in_part_is_refused(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    """Restart markers let libjpeg pick up again after the damage: the page is found and
    most of it read, but a damaged file's numbers are not taken."""
    photo = cv2.imdecode(np.frombuffer(page_photo(2, PAGE_2, BUBBLES_2), np.uint8), 0)
    data = bytes(cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_RST_INTERVAL, 1])[1])
    at = data.index(b"\xff\xd5", len(data) // 2)  # a restart marker half-way down
    damaged = data[: at + 10] + b"\xff\x12" + data[at + 12 :]
    assert "invalid marker 0xFF12" in str(decode.jpeg_damage(damaged))
    reading = reader.read(damaged)
    assert reading.status == "unreadable" and "damaged" in reading.reason
    assert reading.fields == ()


def test_read_writes_valid_utf8_for_a_file_name_that_is_not(
    tmp_path: Path, page_photo: PhotoMaker
) -> None:
    odd = os.fsencode(tmp_path) + b"/hal\xff2.jpg"
    with open(odd, "wb") as file:
        file.write(b"not a photo")
    done = subprocess.run(
        [REKAP, "read", "--json", odd], capture_output=True, timeout=300, check=False
    )
    line = done.stdout.decode("utf-8")  # raises on an invalid byte
    assert '"status": "unreadable"' in line and "\\udcff" in line


def _box_png(path: Path) -> Path:
    """A plain printed box with nothing in it, as a PNG at ``path``."""
    box = np.full((44, 42, 3), 220, np.uint8)
    cv2.rectangle(box, (1, 1), (40, 42), (40, 40, 40), 2)
    cv2.imwrite(str(path), box)
    return path


def _json_lines(command: list[str], cwd: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON lines a `rekap` command printed, run in ``cwd``, and its exit status."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=300, check=False)
    return [json.loads(line) for line in done.stdout.decode().splitlines()], done.returncode


def test_read_names_each_photo_as_it_was_given(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"not a photo")
    given = ["./a.jpg", "", str(tmp_path) + "//a.jpg"]
    lines, _ = _json_lines([REKAP, "read", "--json", *given], tmp_path)
    assert [line["path"] for line in lines] == given
    assert [line["status"] for line in lines] == ["unreadable"] * 3


def test_digits_classify_names_each_image_as_it_was_given(tmp_path: Path) -> None:
    _box_png(tmp_path / "a.png")
    given = ["./a.png", str(tmp_path) + "//a.png", "", "missing.png"]
    lines, status = _json_lines([REKAP, "digits", "classify", "--json", *given], tmp_path)
    assert [line["path"] for line in lines] == given
    assert ["error" in line for line in lines] == [False, False, True, True]
    assert status == 1


def _as_another_user(command: list[str]) -> list[str]:
    """``command`` run as a user who may not read a file chmod 000 (root may read any)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is absent: cannot run rekap as another user")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*nobody, REKAP, "--help"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot run rekap as another user here: {probe.stderr[-200:]!r}")
    return [*nobody, *command]


def test_a_file_the_user_may_not_read_gets_its_own_line() -> None:
    folder = Path(tempfile.mkdtemp(prefix="rekap-unreadable-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        _box_png(folder / "box.png")
        (folder / "box.png").chmod(0o644)
        (folder / "secret.jpg").write_bytes(b"\xff\xd8 not to be read")
        (folder / "secret.jpg").chmod(0o000)
        paths = [str(folder / "secret.jpg"), str(folder / "box.png")]
        for command in (["read", "--json"], ["digits", "classify", "--json"]):
            done = subprocess.run(
                _as_another_user([REKAP, *command, *paths]),
                capture_output=True,
                timeout=300,
                check=False,
            )
            lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
            assert [line["path"] for line in lines] == paths, done.stderr[-500:]
            said = lines[0].get("reason") or lines[0].get("error")
            assert said == "cannot read the file: Permission denied"
            # the other file is read (the box is too small a picture for `read`, a box
            # to `digits classify`)
            assert "label" in lines[1] or lines[1]["reason"].startswith("image too small")
    finally:
        shutil.rmtree(folder)


def test_both_commands_read_their_files_with_standard_input_closed(tmp_path: Path) -> None:
    """Under cron or a detached process there is no standard input: only `-` needs one."""
    _box_png(tmp_path / "a.png")
    for command in (["read", "--json"], ["digits", "classify", "--json"]):
        done = subprocess.run(  # the shell closes standard input, then runs rekap
            ["bash", "-c", 'exec "$@" <&-', "rekap", REKAP, *command, str(tmp_path / "a.png"), "-"],
            capture_output=True,
            timeout=300,
            check=False,
        )
        lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
        assert len(lines) == 2, done.stderr[-400:]
        assert "label" in lines[0] or lines[0]["reason"].startswith("image too small")
        said = lines[1].get("reason") or lines[1].get("error")
        assert said.startswith("standard input is closed"), lines[1]
