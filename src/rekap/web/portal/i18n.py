"""The portal's words in Indonesian (the default) and English, and how numbers are written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from rekap.domain.numerals import Lang as Lang
from rekap.domain.numerals import format_count
from rekap.domain.timezones import WIB, zone_of_provinsi
from rekap.web.portal.words import WORDS

LANGS: tuple[Lang, ...] = ("id", "en")
DEFAULT_LANG: Lang = "id"


def pick_lang(value: str | None) -> Lang | None:
    return "en" if value == "en" else "id" if value == "id" else None


class Words:
    """``words("key")`` or ``words("key", n=3)``: the text in one language (str.format)."""

    def __init__(self, lang: Lang, table: Mapping[str, tuple[str, str]] = WORDS) -> None:
        self.lang = lang
        self._column = 0 if lang == "id" else 1
        self._table = table

    def __call__(self, key: str, **values: object) -> str:
        pair = self._table.get(key)
        if pair is None:
            raise KeyError(f"no portal text {key!r}")
        text = pair[self._column]
        return text.format(**values) if values else text


def format_int(value: int | None, lang: Lang) -> str:
    """Indonesian groups thousands with '.', English with ',' (as findings' messages do:
    ``format_count``); None is an em dash."""
    return "—" if value is None else format_count(value, lang)


def format_percent(share: float | None, lang: Lang, digits: int = 2) -> str:
    """A share 0..1 as a percentage with a decimal comma in Indonesian."""
    if share is None:
        return "—"
    text = f"{share * 100:.{digits}f}%"
    return text.replace(".", ",") if lang == "id" else text


def when(at: datetime | str) -> str:
    """A moment as the pages' data carry it (and their ``<time datetime>``): in UTC to the
    second. What a person reads is ``clock``."""
    return _moment(at).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def zone_for(kode: str) -> tzinfo:
    """The clock a page about a region or TPS is read on: its provinsi's (WIB, WITA or WIT);
    the nation's pages on WIB, the clock of KPU's national announcements and of Sirekap's
    times; a TPS abroad on UTC (each country keeps its own)."""
    if not kode:
        return WIB
    zone = zone_of_provinsi(kode[:2])
    return UTC if zone is None else zone


def clock(at: datetime | str, kode: str, date: bool = True) -> str:
    """A moment as the people of a region read it, named by its zone ('2024-02-14 20:05:11
    WITA'; with ``date`` False, '20:05 WITA'). ``at``: a datetime, ISO 8601 or ``when``'s
    text."""
    zone = zone_for(kode)
    moment = _moment(at).astimezone(zone)
    name = moment.tzname() or "UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} {name}" if date else f"{moment:%H:%M} {name}"


def _moment(at: datetime | str) -> datetime:
    if isinstance(at, datetime):
        return at
    text = at.removesuffix(" UTC") + "+00:00" if at.endswith(" UTC") else at
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
