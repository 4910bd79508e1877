"""How a number is written for people: a count with its thousands grouped, with '.' in
Indonesian and ',' in English; a fraction with the decimal mark of the language (',' in
Indonesian, '.' in English).

The portal writes every number this way, and a finding's message does too (``rekap.rules``),
so that a count reads the same in a finding as on the page beside it: "suara sah 12.345",
never "12345", which a reader of Indonesian could take for a typo. Data meant for machines
(evidence, JSON, CSV, the bulk files) keeps plain integers.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["id", "en"]


def format_count(value: int, lang: Lang) -> str:
    """``12345`` as ``12.345`` (Indonesian) or ``12,345`` (English); below 1,000 as it is."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "id" else text


def format_decimal(value: float, lang: Lang) -> str:
    """``0.812`` as ``0,812`` (Indonesian) or ``0.812`` (English): where '.' groups thousands,
    "1.25" would read as a hundred and twenty-five."""
    text = str(value)
    return text.replace(".", ",") if lang == "id" else text
