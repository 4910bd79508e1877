"""The portal's words in Indonesian (the default) and English, and how numbers are written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rekap.domain.numerals import Lang as Lang
from rekap.domain.numerals import format_count
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
    """A moment as the pages write it, in UTC to the second."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
