"""Numbers in Indonesian words, in capitals, as a KPPS member writes them on the C.Hasil form.

The form asks for every total "ditulis menggunakan huruf kapital": 123 is written
``SERATUS DUA PULUH TIGA``. The prefix *se-* replaces *satu* before *puluh*, *belas*,
*ratus* and *ribu* (10 ``SEPULUH``, 11 ``SEBELAS``, 100 ``SERATUS``, 1000 ``SERIBU``).
"""

from __future__ import annotations

__all__ = ["MAX_TERBILANG", "terbilang"]

MAX_TERBILANG = 999_999
_UNITS = ("NOL", "SATU", "DUA", "TIGA", "EMPAT", "LIMA", "ENAM", "TUJUH", "DELAPAN", "SEMBILAN")


def _below_thousand(n: int) -> list[str]:
    """Words of 1..999 (an empty list for 0)."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("SERATUS")
    elif hundreds > 1:
        words += [_UNITS[hundreds], "RATUS"]
    tens, units = divmod(rest, 10)
    if tens == 1:
        if units == 0:
            words.append("SEPULUH")
        elif units == 1:
            words.append("SEBELAS")
        else:
            words += [_UNITS[units], "BELAS"]
        return words
    if tens > 1:
        words += [_UNITS[tens], "PULUH"]
    if units:
        words.append(_UNITS[units])
    return words


def terbilang(n: int) -> str:
    """``n`` (0..999,999) in Indonesian words, capitals, single spaces: 123 → SERATUS DUA PULUH
    TIGA."""
    if not 0 <= n <= MAX_TERBILANG:
        raise ValueError(f"{n} is outside 0..{MAX_TERBILANG}")
    if n == 0:
        return "NOL"
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands == 1:
        words.append("SERIBU")
    elif thousands > 1:
        words += [*_below_thousand(thousands), "RIBU"]
    words += _below_thousand(rest)
    return " ".join(words)
