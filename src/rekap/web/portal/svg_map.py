"""Maps of a region's children coloured by the leading paslon, as inline SVG.

The nation is a tile-grid cartogram: one equal tile per provinsi, placed roughly where it
lies (west to east, north to south), so Papua Pegunungan weighs as much on screen as Jawa
Barat. Below the nation, the children are tiles in code order (a region has no geography
in the region file), each a link down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape

from markupsafe import Markup

from rekap.web.portal.paslon import NO_DATA_COLOUR, Paslon

TILE = 44
GAP = 3
TIE_COLOUR = "#8c8c8c"
HELD_COLOUR = "#fbe3e1"
"""A TPS held by a blocking finding: its numbers are in no total, so no paslon's colour."""
HELD_EDGE = "#b3261e"

# (column, row) of each provinsi, and its usual abbreviation.
PROVINSI_TILES: Mapping[str, tuple[int, int, str]] = {
    "11": (0, 0, "ACEH"),
    "12": (1, 0, "SUMUT"),
    "14": (2, 0, "RIAU"),
    "21": (3, 0, "KEPRI"),
    "13": (1, 1, "SUMBAR"),
    "15": (2, 1, "JAMBI"),
    "19": (3, 1, "BABEL"),
    "17": (1, 2, "BKL"),
    "16": (2, 2, "SUMSEL"),
    "18": (2, 3, "LPG"),
    "31": (4, 2, "DKI"),
    "36": (3, 3, "BTN"),
    "32": (4, 3, "JABAR"),
    "33": (5, 3, "JATENG"),
    "34": (5, 4, "DIY"),
    "35": (6, 3, "JATIM"),
    "51": (7, 3, "BALI"),
    "52": (8, 3, "NTB"),
    "53": (9, 3, "NTT"),
    "61": (5, 1, "KALBAR"),
    "62": (6, 1, "KALTENG"),
    "63": (6, 2, "KALSEL"),
    "64": (7, 1, "KALTIM"),
    "65": (7, 0, "KALTARA"),
    "71": (10, 0, "SULUT"),
    "75": (9, 0, "GTLO"),
    "72": (9, 1, "SULTENG"),
    "76": (8, 1, "SULBAR"),
    "73": (8, 2, "SULSEL"),
    "74": (9, 2, "SULTRA"),
    "82": (11, 1, "MALUT"),
    "81": (11, 2, "MALUKU"),
    "96": (12, 1, "PBD"),
    "92": (13, 1, "PABAR"),
    "91": (14, 1, "PAPUA"),
    "94": (13, 2, "PATENG"),
    "95": (14, 2, "PAPEG"),
    "93": (14, 3, "PASEL"),
    "99": (0, 4, "LN"),
}


@dataclass(frozen=True, slots=True)
class Tile:
    kode: str
    nama: str
    label: str
    leader: Paslon | None
    has_votes: bool
    href: str
    note: str
    """Shown on hover and read by screen readers: name, leader and share."""
    held: bool = False
    """A TPS whose numbers a blocking finding holds out of every total."""


def colour_of(tile: Tile) -> str:
    if tile.held:
        return HELD_COLOUR
    if tile.leader is not None:
        return tile.leader.colour
    return TIE_COLOUR if tile.has_votes else NO_DATA_COLOUR


def _luminance(colour: str) -> float:
    """WCAG relative luminance of an ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    red, green, blue = (
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_for(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (a tile's small label)."""
    return max(("#000000", "#ffffff"), key=lambda ink: contrast(ink, colour))


PREFIXES = ("KABUPATEN ", "KAB. ", "KOTA ", "KECAMATAN ", "DESA ", "KELURAHAN ")


def _bare(nama: str) -> str:
    for prefix in PREFIXES:
        if nama.startswith(prefix):
            return nama[len(prefix) :]
    return nama


def short_label(nama: str, width: int = 6) -> str:
    return _bare(nama)[:width]


def _compact(nama: str, width: int) -> str:
    """A second try for a label another child shares: the first word cut short and the
    initials of the others ('KEPULAUAN SERIBU UTARA' -> 'KEP SU'), or 'K.' for a kota
    ('KOTA SERANG' -> 'K.SERA'); a one-word name keeps its plain label."""
    words = _bare(nama).split()
    if len(words) > 1:
        initials = "".join(w[0] for w in words[1:])[: width - 2]
        return f"{words[0][: width - len(initials) - 1]} {initials}"
    word = words[0] if words else nama
    return f"K.{word[: width - 2]}" if nama.startswith("KOTA ") else word[:width]


def _ends(nama: str, width: int) -> str:
    """A third try, for one-word namesakes by their first letters: the word's start and end
    ('SUKAJAYA' -> 'SUK…YA')."""
    word = _bare(nama)
    if " " in word or len(word) <= width or nama.startswith("KOTA "):
        return _compact(nama, width)
    return f"{word[: width - 3]}…{word[-2:]}"


def _repeated(labels: Sequence[str]) -> set[str]:
    return {label for label, count in Counter(labels).items() if count > 1}


def distinct_labels(names: Sequence[str], width: int = 6) -> list[str]:
    """Short tile labels for one map's children, told apart where the plain cut would make
    namesakes (Kabupaten and Kota Tangerang, Kepulauan Seribu Utara and Selatan) look one;
    any still alike are numbered."""
    labels = [short_label(n, width).rstrip() for n in names]
    for attempt in (_compact, _ends):
        twice = _repeated(labels)
        labels = [
            attempt(n, width) if label in twice else label
            for n, label in zip(names, labels, strict=True)
        ]
    twice = _repeated(labels)
    numbered: dict[str, int] = {}
    out = []
    for label in labels:
        if label in twice:
            stem = label[: width - 1].rstrip()
            numbered[stem] = numbered.get(stem, 0) + 1
            label = f"{stem}{numbered[stem]}"
        out.append(label)
    return out


def _tile(tile: Tile, column: int, row: int) -> str:
    x, y = column * (TILE + GAP), row * (TILE + GAP)
    colour = colour_of(tile)
    ink = ink_for(colour)
    edge = f' stroke="{HELD_EDGE}" stroke-width="2" stroke-dasharray="4 2"' if tile.held else ""
    return (
        f'<a href="{escape(tile.href)}"><title>{escape(tile.note)}</title>'
        f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="3" fill="{colour}"{edge}/>'
        f'<text x="{x + TILE / 2}" y="{y + TILE / 2 + 3}" fill="{ink}">'
        f"{escape(tile.label)}</text></a>"
    )


def _svg(body: list[str], columns: int, rows: int, title: str) -> Markup:
    width, height = columns * (TILE + GAP), rows * (TILE + GAP)
    return Markup(
        f'<svg class="map" viewBox="0 0 {width} {height}" role="group" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def provinsi_cartogram(tiles: Sequence[Tile], title: str) -> Markup:
    """The nation's provinsi on their fixed grid (an unknown code goes to a last row)."""
    body, spare = [], 0
    for tile in tiles:
        place = PROVINSI_TILES.get(tile.kode)
        if place is None:
            place = (spare, 5, tile.label)
            spare += 1
        body.append(_tile(replace(tile, label=place[2]), place[0], place[1]))
    rows = 6 if spare else 5
    return _svg(body, 15, rows, title)


def tile_grid(tiles: Sequence[Tile], title: str, columns: int = 8) -> Markup:
    """Children in code order, ``columns`` to a row."""
    columns = max(1, min(columns, len(tiles)))
    body = [_tile(t, i % columns, i // columns) for i, t in enumerate(tiles)]
    rows = max(1, -(-len(tiles) // columns))
    return _svg(body, columns, rows, title)
