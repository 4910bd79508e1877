"""Where the printed C.HASIL-PPWP plano form has what the reader's templates do not list.

The templates (`rekap.reading.template`) give the fiducials, the AprilTag, the digit boxes
and the bubbles. This module adds what a simulated page also needs: table rules, the tally
grids, the lines where words and names are written, and a few labels. Coordinates are
millimetres of the 600 x 900 mm page (origin top-left), measured once on the official PDF
and rounded to 0.5 mm; only positions are kept here, never the artwork.
"""

from __future__ import annotations

from dataclasses import dataclass

from rekap.reading.template import Box

__all__ = [
    "DATE_BOXES",
    "NAME_LINES",
    "PAGE_RULES",
    "PAGE_TEXTS",
    "TALLY_ZONES",
    "WORDS_ZONES",
    "Rule",
    "TallyZone",
    "Text",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """A printed line; ``grey`` 0 is black."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.8
    grey: int = 0


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    """Baseline of the text's left end, or of its centre when ``centred``."""
    text: str
    height: float = 3.5
    bold: bool = False
    centred: bool = False


@dataclass(frozen=True, slots=True)
class TallyZone:
    """A 12 x 5 tally grid and its per-row subtotal column ("jumlah tiap baris")."""

    field_id: str
    grid: Box
    subtotal: Box


def _frame(x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> list[Rule]:
    return [
        Rule(x0, y0, x1, y0, width),
        Rule(x0, y1, x1, y1, width),
        Rule(x0, y0, x0, y1, width),
        Rule(x1, y0, x1, y1, width),
    ]


def _grid(zone: TallyZone, top: float, numbered: bool) -> list[Rule]:
    """The grid's rules; ``numbered`` grids have the row of column numbers above them."""
    x0, y0, x1, y1 = zone.grid
    rules = [Rule(x0, top, x0, y1), Rule(x1, top, x1, y1)]
    step_x, step_y = (x1 - x0) / 12, (y1 - y0) / 5
    head = y0 - 7 if numbered else y0
    rules += [Rule(x0 + i * step_x, head, x0 + i * step_x, y1, 0.3, 150) for i in range(1, 12)]
    rules += [
        Rule(x0, y0 + j * step_y, zone.subtotal[2], y0 + j * step_y, 0.3, 150) for j in (1, 2, 3, 4)
    ]
    if numbered:
        rules += [Rule(x0, head, x1, head, 0.5), Rule(x0, y0, x1, y0, 0.5)]
    return rules


def _signatures(top: float) -> list[Rule]:
    rules = _frame(70, top, 530, top + 114, 1.0)
    rules += [Rule(70, top + 10.5, 530, top + 10.5, 0.6), Rule(70, top + 45, 530, top + 45, 0.6)]
    rules += [Rule(70, top + 55, 530, top + 55, 0.6), Rule(70, top + 81, 530, top + 81, 0.6)]
    rules += [
        Rule(x, top + 10.5, x, top + 45, 0.5) for x in (135.5, 201.3, 267.1, 332.8, 398.4, 464.1)
    ]
    rules += [Rule(x, top + 55, x, top + 114, 0.8) for x in (223.3, 376.5)]
    return rules


def _common() -> list[Rule]:
    rules = [Rule(40.0 + 6 * i, 49.5, 43.0 + 6 * i, 49.5, 0.5, 150) for i in range(87)]
    rules += [Rule(60, 57, 539, 57, 1.2, 215), Rule(40, 80, 40, 857, 1.2, 215)]
    rules += [Rule(559, 80, 559, 857, 1.2, 215), Rule(60, 880, 539, 880, 1.2, 215)]
    return rules + _frame(482.7, 77.7, 527.2, 98.5, 0.6)


def _page2_rules() -> list[Rule]:
    rules = [*_common(), *_frame(73, 158, 527, 624), *_signatures(743)]
    rules += [Rule(73, 178, 527, 178), Rule(450, 158, 450, 624)]
    for k, zone in enumerate(TALLY_ZONES[2]):
        dy = 152 * k
        top = 158 if k == 0 else 178 + dy
        rules += _grid(zone, top, numbered=k == 0)
        rules += [Rule(73, 258 + dy, 450, 258 + dy), Rule(416, top, 416, 258 + dy, 0.8)]
        if k < 2:
            rules += [Rule(73, 320 + dy, 527, 320 + dy), Rule(73, 329.5 + dy, 527, 329.5 + dy)]
    return rules


def _page3_rules() -> list[Rule]:
    rules = [*_common(), *_signatures(412)]
    for top, bottom in ((158, 194), (209, 292), (304, 340)):
        rules += _frame(73, top, 527, bottom)
        rules += [Rule(x, top, x, bottom) for x in (88, 181, 450)]
    rules += _grid(TALLY_ZONES[3][0], 209, numbered=True)
    rules += [Rule(416, 209, 416, 292), Rule(450, 229, 527, 229, 0.5)]
    rules += [r for x0, x1, n in DATE_BOXES for r in _date_frames(x0, x1, n)]
    return rules


def _date_frames(x0: float, x1: float, count: int) -> list[Rule]:
    step = (x1 - x0) / count
    return [
        r for i in range(count) for r in _frame(x0 + i * step, 358, x0 + (i + 1) * step, 374.8, 0.5)
    ]


def _page1_rules() -> list[Rule]:
    rules = [*_common(), *_signatures(743)]
    rules += _frame(73, 343, 527, 522) + _frame(73, 544, 527, 663.5) + _frame(73, 683, 527, 733)
    for y in (359, 366.5, 381, 409.5, 424.5, 521):
        rules.append(Rule(73, y, 527, y, 0.6))
    rules += [Rule(91, y, 302, y, 0.6) for y in (449.5, 472.5, 495.7)]
    rules += [Rule(91, 381, 91, 409.5, 0.6), Rule(91, 424.5, 91, 522, 0.6)]
    for x in (302, 377, 452):
        rules += [Rule(x, 343, x, 366.5, 0.6), Rule(x, 381, x, 409.5, 0.6)]
        rules += [Rule(x, 424.5, x, 522, 0.6), Rule(x, 683, x, 733, 0.6)]
    rules += [Rule(73, y, 527, y, 0.6) for y in (559, 566.5, 698, 705.5)]
    rules += [Rule(73, y, 452, y, 0.6) for y in (591.8, 614.8, 637.8)]
    rules.append(Rule(452, 544, 452, 663.5, 0.6))
    return rules


TALLY_ZONES: dict[int, tuple[TallyZone, ...]] = {
    2: tuple(
        TallyZone(
            f"paslon_{k + 1}",
            (181, 178 + 152 * k, 416, 258 + 152 * k),
            (416, 178 + 152 * k, 450, 258 + 152 * k),
        )
        for k in range(3)
    ),
    3: (TallyZone("suara_tidak_sah", (181, 229, 416, 292), (416, 229, 450, 292)),),
}
WORDS_ZONES: dict[int, dict[str, Box]] = {
    2: {f"paslon_{k + 1}": (186, 266 + 152 * k, 356, 305 + 152 * k) for k in range(3)},
    3: {
        "suara_sah": (186, 162, 445, 188),
        "suara_tidak_sah": (452, 261, 525, 284),
        "suara_total": (186, 308, 445, 334),
    },
}
DATE_BOXES = ((321.7, 354.5, 2), (392.3, 424.8, 2), (462.6, 527.4, 4))
"""Page 3: TANGGAL, BULAN and TAHUN boxes (x0, x1, count), y 358..374.8."""
_NAMES_P1 = ((127, 206.5), (127, 220.5), (323, 206.5), (323, 220.5), (323, 234))
_NAMES_P23 = ((161, 86), (161, 98.5), (357, 86), (357, 98.5), (357, 111))
NAME_LINES: dict[int, tuple[tuple[float, float], ...]] = {
    1: _NAMES_P1,
    2: _NAMES_P23,
    3: _NAMES_P23,
}
"""Start of the dotted lines for provinsi, kabupaten/kota, kecamatan, desa and TPS number."""
PAGE_RULES: dict[int, tuple[Rule, ...]] = {
    1: tuple(_page1_rules()),
    2: tuple(_page2_rules()),
    3: tuple(_page3_rules()),
}


def _header(page: int) -> list[Text]:
    texts = [
        Text(505, 87, "MODEL", 2.6, True, True),
        Text(505, 94, "C.HASIL-PPWP", 2.6, True, True),
        Text(505, 104, f"Halaman {page} dari 3", 2.6, True, True),
        Text(40, 893, f"PEMILU PRESIDEN DAN WAKIL PRESIDEN - Hal {page} dari 3", 2.4),
    ]
    labels = ("Provinsi", "Kabupaten / Kota", "Kecamatan", "Kelurahan / Desa *)", "Nomor TPS")
    for label, (x, y) in zip(labels, NAME_LINES[page], strict=True):
        texts.append(Text(x - (54 if page == 1 else 55), y, label, 3.0, True))
        texts.append(Text(x - 5, y, ":", 3.0, True))
    return texts


def _page_texts(page: int) -> list[Text]:
    texts = _header(page)
    if page == 1:
        titles = (
            "BERITA ACARA, SERTIFIKAT DAN CATATAN HASIL PENGHITUNGAN PEROLEHAN SUARA",
            "DI TEMPAT PEMUNGUTAN SUARA DALAM PEMILIHAN UMUM",
            "PRESIDEN DAN WAKIL PRESIDEN",
            "REPUBLIK INDONESIA",
            "TAHUN 2024",
        )
        texts += [Text(300, 96 + 9 * i, t, 4.0, True, True) for i, t in enumerate(titles)]
        texts += [
            Text(73, 338, "I.   DATA PEMILIH DAN PENGGUNA HAK PILIH", 3.6, True),
            Text(73, 539, "II.  DATA PENGGUNAAN SURAT SUARA", 3.6, True),
            Text(73, 678, "III. DATA PEMILIH DISABILITAS", 3.6, True),
        ]
        rows = (
            ("Jumlah Pemilih dalam DPT", 397),
            ("1. Pengguna hak pilih dalam DPT", 438),
            ("2. Pengguna hak pilih dalam DPTb", 462),
            ("3. Pengguna hak pilih dalam DPK", 485),
            ("4. Jumlah Pengguna Hak Pilih", 509),
            ("1. Surat suara diterima", 580),
            ("2. Surat suara digunakan", 604),
            ("3. Surat suara rusak/keliru coblos", 627),
            ("4. Surat suara tidak digunakan", 651),
            ("Pemilih disabilitas", 720),
        )
        texts += [Text(96, y, label, 3.0) for label, y in rows]
        texts += [
            Text(x, 353, t, 2.8, True, True)
            for x, t in ((339, "LAKI-LAKI (L)"), (414, "PEREMPUAN (P)"), (489, "JUMLAH (L+P)"))
        ]
    elif page == 2:
        texts.append(Text(73, 139, "IV.  DATA RINCIAN PEROLEHAN SUARA PASANGAN CALON", 3.6, True))
        for k in range(3):
            dy = 152 * k
            texts += [
                Text(127, 196 + dy, str(k + 1), 9.0, True, True),
                Text(127, 209 + dy, "NAMA CALON PRESIDEN", 2.8, True, True),
                Text(127, 215 + dy, "NAMA CALON WAKIL PRESIDEN", 2.8, True, True),
                Text(235, 310 + dy, "(ditulis menggunakan huruf kapital)", 2.0, centred=True),
            ]
        texts.append(Text(298, 167, "RINCIAN PEROLEHAN SUARA SAH", 2.8, True, True))
        texts += _column_numbers(176.5)
        texts += [
            Text(127, 167, "NOMOR DAN NAMA PASANGAN CALON", 2.4, True, True),
            Text(433, 167, "JUMLAH", 2.2, True, True),
            Text(433, 172, "TIAP BARIS", 2.2, True, True),
            Text(488.5, 169, "JUMLAH SUARA SAH", 2.4, True, True),
        ]
    else:
        texts.append(Text(73, 139, "V.   DATA SUARA SAH DAN SUARA TIDAK SAH", 3.6, True))
        for y, label in (
            (178, "JUMLAH SELURUH SUARA SAH"),
            (252, "JUMLAH SUARA TIDAK SAH"),
            (324, "JUMLAH SUARA SAH DAN TIDAK SAH"),
        ):
            texts.append(Text(134, y, label, 2.6, True, True))
        texts += [
            Text(80, y, s, 3.0, True, True) for y, s in ((178, "A."), (252, "B."), (324, "C."))
        ]
        texts += [
            *_column_numbers(227.5),
            Text(298, 218, "RINCIAN SUARA TIDAK SAH", 2.8, True, True),
        ]
        texts += [
            Text(300, 368, "TANGGAL :", 3.4, True, True),
            Text(380, 368, "BULAN :", 3.4, True, True),
            Text(447, 368, "TAHUN :", 3.4, True, True),
            Text(180, 368, "DITETAPKAN DI :", 3.4, True, True),
        ]
    return texts


def _column_numbers(y: float) -> list[Text]:
    step = (416 - 181) / 12
    return [Text(181 + (i + 0.5) * step, y, str(i + 1), 2.2, centred=True) for i in range(12)]


PAGE_TEXTS: dict[int, tuple[Text, ...]] = {page: tuple(_page_texts(page)) for page in (1, 2, 3)}
