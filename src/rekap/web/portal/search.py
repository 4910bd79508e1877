"""Finding a place by name among the 92k regions, fast enough to answer every keystroke.

All names sit in one upper-case string, one per line; the rarest-looking word (the longest)
is found with ``str.find`` (C speed), and each hit's line is checked for the other words.
A query of digits is a region code, matched as a prefix. A TPS number beside a desa's name
("TPS 3 Labibia", "labibia 003") finds that TPS of every desa so named.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass

from rekap.domain.region_tree import RegionTree
from rekap.domain.wilayah import Level

MAX_SCAN = 5000
TPS_WORD = "TPS"


@dataclass(frozen=True, slots=True)
class Hit:
    kode: str
    nama: str
    level: Level
    parents: tuple[str, ...]
    """Names of the kecamatan, kabupaten/kota and provinsi above, nearest first."""

    def as_json(self) -> dict[str, object]:
        return {
            "kode": self.kode,
            "nama": self.nama,
            "level": self.level.label,
            "parents": list(self.parents),
            "url": region_url(self.kode),
        }


def _is_tps_number(word: str) -> bool:
    """A word that may be a TPS's number: at most three decimal digits."""
    return word.isdecimal() and len(word) <= 3


def region_url(kode: str) -> str:
    if not kode:
        return "/"
    return f"/tps/{kode}" if len(kode) == 13 else f"/wilayah/{kode}"


def fold(text: str) -> str:
    """Upper case without accents, the form names are stored in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def ascii_digits(text: str) -> str:
    """Decimal digits of any script (Arabic-Indic '٣١', ...) as ASCII ('31'). Only decimal
    digits: ``str.isdigit`` also accepts superscripts and digits that ``int`` refuses."""
    return "".join(str(unicodedata.decimal(c)) for c in text)


class SearchIndex:
    def __init__(self, tree: RegionTree) -> None:
        self.tree = tree
        self.codes = [k for k in sorted(tree.regions) if k]
        names = [fold(tree.regions[k].nama).replace("\n", " ") for k in self.codes]
        self.starts: list[int] = []
        offset = 0
        for name in names:
            self.starts.append(offset)
            offset += len(name) + 1
        self.text = "\n".join(names) + "\n"

    def _line(self, position: int) -> int:
        return bisect.bisect_right(self.starts, position) - 1

    def _name(self, line: int) -> str:
        start = self.starts[line]
        return self.text[start : self.text.index("\n", start)]

    def _hit(self, kode: str) -> Hit:
        region = self.tree.regions[kode]
        above = [kode[:n] for n in (6, 4, 2) if n < len(kode)]
        parents = tuple(self.tree.regions[p].nama for p in above if p in self.tree.regions)
        return Hit(kode, region.nama, region.level, parents)

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        words = fold(query).split()
        if not words:
            return []
        if len(words) == 1 and words[0].isdecimal():
            return self._by_code(ascii_digits(words[0]), limit)
        named = [w for w in words if w != TPS_WORD] or words
        numbers = [w for w in named if _is_tps_number(w)]
        rest = [w for w in named if not _is_tps_number(w)]
        if not numbers or not rest:
            found = self._ranked(self._scan(named), named)
            return [self._hit(self.codes[line]) for line in found[:limit]]
        # One scan for the words of the name; the number then picks the places whose name
        # holds it too ('RAMUNIA 1') and the TPS of that number of each desa so named.
        lines = self._scan(rest)
        holding = (
            {line for line in lines if all(n in self._name(line) for n in numbers)}
            if len(lines) < MAX_SCAN
            else self._scan(named)  # the name's words alone reached the cap: ask with the number
        )
        places = [self._hit(self.codes[line]) for line in self._ranked(holding, named)[:limit]]
        by_name = self._ranked(lines, rest)
        tps = self._tps_of(by_name, numbers, limit)
        if not tps and not places:  # a TPS number the desa does not have: show the desa
            return [self._hit(self.codes[line]) for line in by_name[:limit]]
        if not tps:
            return places
        if not places:
            return tps
        # 'RAMUNIA 1' is a desa's whole name; 'TPS 1 RAMUNIA' asks for a TPS
        first, then = (tps, places) if TPS_WORD in words else (places, tps)
        return (first + then)[:limit]

    def _tps_of(self, lines: list[int], numbers: list[str], limit: int) -> list[Hit]:
        """One TPS number beside a name: that TPS of each desa among ``lines`` (best named
        first)."""
        if len(numbers) != 1:
            return []
        nomor = int(ascii_digits(numbers[0]))
        if nomor == 0:
            return []
        hits = []
        for line in lines:
            region = self.tree.regions[self.codes[line]]
            if region.level is Level.DESA and region.has_tps(nomor):
                hits.append(self._tps_hit(region.kode.tps(nomor).value))
                if len(hits) == limit:
                    break
        return hits

    def _scan(self, words: list[str]) -> set[int]:
        """The lines of the names holding every word (at most ``MAX_SCAN``)."""
        key = max(words, key=len)
        others = [w for w in words if w is not key]
        lines: set[int] = set()
        position = self.text.find(key)
        while position >= 0 and len(lines) < MAX_SCAN:
            line = self._line(position)
            if line not in lines and all(w in self._name(line) for w in others):
                lines.add(line)
            position = self.text.find(
                key, self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
            )
        return lines

    def _ranked(self, lines: set[int], words: list[str]) -> list[int]:
        """``lines`` best first for ``words``."""
        joined = " ".join(words)

        def rank(line: int) -> tuple[int, int, int, int, str]:
            """Whole words before the starts of words before parts of words; bigger regions
            before smaller; exact names before longer ones."""
            name = self._name(line)
            parts = name.split()
            if all(w in parts for w in words):
                fit = 0
            elif all(any(p.startswith(w) for p in parts) for w in words):
                fit = 1
            else:
                fit = 2
            exact = 0 if name == joined else 1
            return (fit, len(self.codes[line]), exact, len(name), self.codes[line])

        return sorted(lines, key=rank)

    def _tps_hit(self, kode: str) -> Hit:
        desa = self._hit(kode[:10])
        return Hit(kode, f"TPS {kode[10:]}", Level.TPS, (desa.nama, *desa.parents))

    def _by_code(self, digits: str, limit: int) -> list[Hit]:
        if len(digits) == 13:
            desa = self.tree.regions.get(digits[:10])
            if desa is not None and desa.has_tps(int(digits[10:])):
                return [self._tps_hit(digits)]
            return []
        start = bisect.bisect_left(self.codes, digits)
        found: list[str] = []
        for kode in self.codes[start:]:
            if not kode.startswith(digits) or len(found) >= MAX_SCAN:
                break
            found.append(kode)
        found.sort(key=lambda k: (len(k), k))
        return [self._hit(k) for k in found[:limit]]
