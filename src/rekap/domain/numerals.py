"""How a count is written for people: its thousands grouped, with '.' in Indonesian and ','
in English.

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
