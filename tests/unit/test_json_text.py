"""JSON columns decoded from their text: orjson, with the standard library behind it."""

from __future__ import annotations

from rekap.adapters.storage.json_text import loads, numbers


def test_a_stored_number_beyond_64_bits_is_still_read() -> None:
    """orjson refuses integers beyond 64 bits; such a number (never written by rekap's own
    checks, but possible in an older store) falls back to the standard library rather than
    failing the portal's first figures or the tally's rebuild."""
    assert numbers(loads('{"paslon_1": 18446744073709551616, "paslon_2": 3}')) == {
        "paslon_1": 2**64,
        "paslon_2": 3,
    }
    assert numbers(loads('{"paslon_1": null, "paslon_2": true}')) == {"paslon_2": 1}
    assert loads(None) is None
