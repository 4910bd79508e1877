"""Region codes: parsing, levels, and parent/child round trips (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah, Level

digits = st.text(alphabet="0123456789", min_size=13, max_size=13)


@given(digits)
def test_every_prefix_of_a_tps_code_is_its_ancestor(code: str) -> None:
    tps = KodeWilayah(code)
    assert tps.level is Level.TPS
    chain = tps.ancestors()
    assert [a.level for a in chain] == [
        Level.NASIONAL,
        Level.PROVINSI,
        Level.KABUPATEN_KOTA,
        Level.KECAMATAN,
        Level.DESA,
    ]
    for ancestor in chain:
        assert tps.is_within(ancestor)
        assert code.startswith(ancestor.value)
    assert tps.parent == chain[-1]


@given(digits)
def test_walking_up_parents_reaches_the_nation(code: str) -> None:
    kode: KodeWilayah | None = KodeWilayah(code)
    steps = 0
    while kode is not None and kode.value:
        parent = kode.parent
        assert parent is not None
        assert parent.level is kode.level.parent
        kode = parent
        steps += 1
    assert steps == 5


@given(digits)
def test_desa_and_tps_number_round_trip(code: str) -> None:
    tps = KodeWilayah(code)
    if tps.nomor_tps == 0:
        return
    assert tps.parent is not None
    assert tps.parent.tps(tps.nomor_tps) == tps


@given(digits)
def test_dotted_form_round_trips(code: str) -> None:
    tps = KodeWilayah(code)
    assert KodeWilayah.parse(tps.dotted()) == tps


@pytest.mark.parametrize("bad", ["1", "123", "12345678901", "33100520130011", "33ab", "٣٣"])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidKodeWilayah):
        KodeWilayah(bad)


def test_levels_know_their_neighbours() -> None:
    assert Level.PROVINSI.child is Level.KABUPATEN_KOTA
    assert Level.TPS.child is None
    assert Level.NASIONAL.parent is None
    assert KodeWilayah("99").is_overseas
    assert not KodeWilayah("3310052013001").is_overseas
