"""Indonesia's three time zones by provinsi, for "was this photo taken after polls closed?"."""

from __future__ import annotations

from datetime import timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")

_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def zone_of_provinsi(kode_provinsi: str) -> timezone | None:
    """The legal time zone of a provinsi; None overseas, where each country has its own."""
    if kode_provinsi == "99":
        return None
    if kode_provinsi in _WIT:
        return WIT
    if kode_provinsi in _WITA:
        return WITA
    return WIB
