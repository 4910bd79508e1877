"""Sirekap's published per-TPS data, in both shapes we meet: flattened CSV rows and raw API JSON.

Parsing is pure: a record (a CSV row as a dict, or a decoded JSON object) comes in, and out
comes an ``ImportedTps``, an ``EmptyTps`` (Sirekap had no numbers nor photos yet) or a
``RejectedRow`` with a reason. Nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rekap.domain.election import Contest
from rekap.domain.form import vote_field_id
from rekap.domain.region_tree import JenisTps, RegionTree
from rekap.domain.result import NO_PHOTO, Provenance, SourceKind, TpsResult
from rekap.domain.timezones import WIB
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah, Level


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record read from a file: its origin (``file:line``), a decoded record or an error."""

    origin: str
    kode_hint: str | None
    record: Mapping[str, object] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedTps:
    origin: str
    result: TpsResult
    published_at: str | None
    synthetic_kode: bool = False


@dataclass(frozen=True, slots=True)
class EmptyTps:
    """A TPS whose Sirekap record holds no numbers and no photo yet (``chart: null``,
    ``administrasi: null``, every image null); one with a photo is an ``ImportedTps`` with no
    numbers (received)."""

    origin: str
    kode: str


@dataclass(frozen=True, slots=True)
class RejectedRow:
    origin: str
    kode: str | None
    reason: str


Parsed = ImportedTps | EmptyTps | RejectedRow

# Sirekap's names → rekap's field ids (the C.Hasil form's).
ADMINISTRASI_FIELDS = {
    "suara_sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
    **{
        f"{src}_{g}": f"{dst}_{g}"
        for g in "jlp"
        for src, dst in (
            ("dpt", "dpt"),
            ("pemilih_dpt", "dpt"),
            ("pengguna_dpt", "pengguna_dpt"),
            ("pengguna_dptb", "pengguna_dptb"),
            ("pengguna_dpk", "pengguna_dpk"),
            ("pengguna_non_dpt", "pengguna_dpk"),
            ("pengguna_total", "pengguna_total"),
        )
    },
}
PASLON_COLUMN = re.compile(r"^paslon_0*(\d+)$")
PHOTO_TIME = re.compile(r"-(\d{8}-\d{6})--")
JENIS = {"tps": JenisTps.TPS, "pos": JenisTps.POS, "ksk": JenisTps.KSK}
# No TPS count comes near a billion; the cap keeps every stored number and sum within 64 bits.
MAX_COUNT = 999_999_999
MAX_DIGITS = len(str(MAX_COUNT))
# ``field_of``'s answer for a paslon column of a candidate this contest does not have.
UNKNOWN_PASLON = "?paslon"


class BadValue(ValueError):
    """A count that is not a non-negative whole number."""


def ts_order(ts: str | None) -> str:
    """A Sirekap ``ts`` in an order-preserving form: both of the formats it used,
    ``2024-02-16 16:25:10`` and ``2024-02-16T16:25:10``, compare alike ('' for none)."""
    return (ts or "").replace("T", " ")


def parse_count(field_id: str, raw: object) -> int | None:
    """A count from text or JSON: empty means not recorded; else 0 ≤ count ≤ ``MAX_COUNT``.

    Text must be ASCII digits (an optional sign and surrounding blanks are tolerated); a JSON
    float is taken only when whole.
    """
    if isinstance(raw, str) and len(raw) <= MAX_DIGITS and raw.isascii() and raw.isdigit():
        return int(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise BadValue(f"{field_id}: {raw!r} is not a count")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and _is_signed_integer(text := raw.strip()):
        if len(text.lstrip("+-").lstrip("0")) > MAX_DIGITS:
            raise BadValue(f"{field_id}: {_shorten(raw)} is too large for a count")
        value = int(text)
    else:
        raise BadValue(f"{field_id}: {_shorten(raw)} is not a whole number")
    if value < 0:
        raise BadValue(f"{field_id}: {_shorten(value)} is negative")
    if value > MAX_COUNT:
        raise BadValue(f"{field_id}: {_shorten(value)} is too large for a count")
    return value


def _is_signed_integer(text: str) -> bool:
    digits = text[1:] if text[:1] in ("-", "+") else text
    return digits.isascii() and digits.isdigit()


def _shorten(raw: object) -> str:
    """``repr`` of a value, cut to a readable length (a hostile value may be megabytes)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 64:
        return "a number of more than 19 digits"  # repr() refuses ints over 4,300 digits
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:57]}…"


def photo_capture_time(url: str) -> datetime | None:
    """Sirekap names each photo after its upload time (server clock, WIB)."""
    match = PHOTO_TIME.search(url)
    if match is None:
        return None
    t = match.group(1)
    try:
        return datetime(
            int(t[0:4]),
            int(t[4:6]),
            int(t[6:8]),
            int(t[9:11]),
            int(t[11:13]),
            int(t[13:15]),
            tzinfo=WIB,
        )
    except ValueError:
        return None


class SirekapParser:
    """Turns Sirekap records into TPS results for one contest over one region tree."""

    def __init__(self, contest: Contest, tree: RegionTree) -> None:
        self.contest = contest
        self.tree = tree
        entries = contest.dapil[0].entries if contest.dapil else ()
        self.by_sirekap_id = {e.sirekap_id: e.nomor_urut for e in entries if e.sirekap_id}
        self.nomor_urut = {e.nomor_urut for e in entries}
        self._field_of_key: dict[str, str | None] = {}

    def field_of(self, key: str) -> str | None:
        """The rekap field id for a Sirekap key (memoised: a file repeats its keys)."""
        try:
            return self._field_of_key[key]
        except KeyError:
            pass
        field_id = ADMINISTRASI_FIELDS.get(key)
        if field_id is None:
            match = PASLON_COLUMN.match(key)
            if match is not None:
                nomor = int(match.group(1))
                field_id = vote_field_id(nomor) if nomor in self.nomor_urut else UNKNOWN_PASLON
        self._field_of_key[key] = field_id
        return field_id

    def parse(self, item: SourceRecord) -> Parsed:
        if item.error is not None or item.record is None:
            return RejectedRow(item.origin, item.kode_hint, item.error or "empty record")
        record = item.record
        kode_text = str(record.get("kode_tps") or item.kode_hint or "").strip()
        try:
            if len(kode_text) > len("33.10.05.2013.001"):
                raise InvalidKodeWilayah(f"{_shorten(kode_text)} is not a 13-digit TPS code")
            kode = KodeWilayah.parse(kode_text)
            if kode.level is not Level.TPS:
                raise InvalidKodeWilayah(f"{kode_text!r} is not a 13-digit TPS code")
        except InvalidKodeWilayah as error:
            return RejectedRow(item.origin, kode_text[:20] or None, str(error))
        synthetic = str(record.get("kode_synthetic", "0")).strip() == "1"
        if kode not in self.tree and not (synthetic and kode.is_overseas):
            return RejectedRow(item.origin, kode.value, f"unknown kode wilayah {kode.value}")
        try:
            values = self._values(record)
        except BadValue as error:
            return RejectedRow(item.origin, kode.value, str(error))
        photos = self._photos(record)
        if values is None:
            if not photos:
                return EmptyTps(item.origin, kode.value)
            values = {}  # photos and no numbers yet: received, as a CSV row of it says
        captured = tuple(t for p in photos if p and (t := photo_capture_time(p)) is not None)
        result = TpsResult(
            kode_tps=kode,
            contest=self.contest.kind.value,
            values=values,
            source=Provenance(SourceKind.IMPORT, item.origin),
            jenis=self._jenis(kode, record),
            photos=photos,
            captured_at=captured,
        )
        published = record.get("ts") or record.get("sirekap_ts")
        return ImportedTps(item.origin, result, str(published) if published else None, synthetic)

    def _values(self, record: Mapping[str, object]) -> dict[str, int] | None:
        values: dict[str, int] = {}
        chart = record.get("chart")
        administrasi = record.get("administrasi")
        if "chart" in record and chart is None and administrasi is None:
            return None
        for name, part in (("chart", chart), ("administrasi", administrasi)):
            if part is not None and not isinstance(part, Mapping):
                raise BadValue(f"{name}: expected an object, got {type(part).__name__}")
        if isinstance(chart, Mapping):
            for sirekap_id, votes in chart.items():
                nomor = self.by_sirekap_id.get(str(sirekap_id))
                if nomor is None:
                    if votes is None:
                        continue  # Sirekap pads its charts with {"null": null}
                    raise BadValue(f"chart: unknown candidate id {_shorten(sirekap_id)}")
                count = parse_count(vote_field_id(nomor), votes)
                if count is not None:
                    values[vote_field_id(nomor)] = count
        flat = administrasi if isinstance(administrasi, Mapping) else record
        for key, raw in flat.items():
            field_id = self.field_of(str(key))
            if field_id is None:
                continue
            if field_id is UNKNOWN_PASLON:
                if raw is None or str(raw).strip() == "":
                    continue
                raise BadValue(f"{_shorten(key)}: this contest has no such paslon")
            count = parse_count(field_id, raw)
            if count is not None:
                values[field_id] = count
        return values

    @staticmethod
    def _photos(record: Mapping[str, object]) -> tuple[str | None, ...]:
        """Each page's photo at its position: Sirekap's ``images`` (``[url, null, url]``: no
        photo of page 2), or the space-separated ``photo_urls`` of a CSV, where ``-`` marks a
        page without one (rekap's bulk data writes it so; a CSV that dropped the gaps gives
        its addresses in the order it lists them)."""
        images = record.get("images")
        if isinstance(images, list):
            pages = [_address(str(i)) if i else None for i in images]
        else:
            urls = record.get("photo_urls")
            pages = [None if u == NO_PHOTO else u for u in str(urls).split()] if urls else []
        while pages and pages[-1] is None:
            pages.pop()
        return tuple(pages)

    def _jenis(self, kode: KodeWilayah, record: Mapping[str, object]) -> JenisTps:
        declared = JENIS.get(str(record.get("jenis", "")).strip().lower())
        if declared is JenisTps.TPS and kode.is_overseas:
            return JenisTps.TPSLN
        if declared is not None:
            return declared
        return self.tree.jenis_of(kode)


def _address(text: str) -> str | None:
    """A photo address as the bulk data can list it (space-separated, ``-`` for none): blank
    or ``-`` is no photo; whitespace inside is percent-encoded, as in a web address."""
    address = text.strip()
    if not address or address == NO_PHOTO:
        return None
    return "".join(f"%{ord(c):02X}" if c.isspace() else c for c in address)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A TPS read twice with different numbers: where each version came from."""

    kode: str
    earlier: str
    later: str


class ConflictWatchingParser(SirekapParser):
    """A parser that also notes each TPS read again with different numbers.

    Which version is kept is the validation's rule (the newest ``ts``, else the one read
    last); this only makes the disagreement visible. It keeps one hash per TPS.
    """

    def __init__(self, contest: Contest, tree: RegionTree) -> None:
        super().__init__(contest, tree)
        self._seen: dict[str, tuple[str, int]] = {}
        self.conflicts: list[Conflict] = []

    def parse(self, item: SourceRecord) -> Parsed:
        parsed = super().parse(item)
        if isinstance(parsed, ImportedTps):
            kode = parsed.result.kode_tps.value
            digest = hash(frozenset(parsed.result.values.items()))
            seen = self._seen.get(kode)
            if seen is not None and seen[1] != digest:
                self.conflicts.append(Conflict(kode, seen[0], parsed.origin))
            self._seen[kode] = (parsed.origin, digest)
        return parsed
