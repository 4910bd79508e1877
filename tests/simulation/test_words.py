"""Numbers in Indonesian words, as the form asks them written (huruf kapital)."""

from __future__ import annotations

import pytest

from rekap.simulation.words import MAX_TERBILANG, terbilang


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "NOL"),
        (1, "SATU"),
        (7, "TUJUH"),
        (10, "SEPULUH"),
        (11, "SEBELAS"),
        (12, "DUA BELAS"),
        (19, "SEMBILAN BELAS"),
        (20, "DUA PULUH"),
        (21, "DUA PULUH SATU"),
        (99, "SEMBILAN PULUH SEMBILAN"),
        (100, "SERATUS"),
        (101, "SERATUS SATU"),
        (110, "SERATUS SEPULUH"),
        (111, "SERATUS SEBELAS"),
        (118, "SERATUS DELAPAN BELAS"),
        (123, "SERATUS DUA PULUH TIGA"),
        (200, "DUA RATUS"),
        (300, "TIGA RATUS"),
        (941, "SEMBILAN RATUS EMPAT PULUH SATU"),
        (999, "SEMBILAN RATUS SEMBILAN PULUH SEMBILAN"),
        (1000, "SERIBU"),
        (1001, "SERIBU SATU"),
        (2024, "DUA RIBU DUA PULUH EMPAT"),
        (11_000, "SEBELAS RIBU"),
        (100_000, "SERATUS RIBU"),
        (
            999_999,
            "SEMBILAN RATUS SEMBILAN PULUH SEMBILAN RIBU SEMBILAN RATUS SEMBILAN PULUH SEMBILAN",
        ),
    ],
)
def test_words_for_a_table_of_numbers(number: int, words: str) -> None:
    assert terbilang(number) == words


def test_every_form_value_has_distinct_words() -> None:
    written = {terbilang(n) for n in range(1000)}
    assert len(written) == 1000
    assert all(w == w.upper() and "  " not in w for w in written)


@pytest.mark.parametrize("number", [-1, MAX_TERBILANG + 1])
def test_numbers_out_of_range_are_refused(number: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        terbilang(number)
