"""The shipped 2024 region tree: counts, membership of TPS codes, search, and the file format."""

from __future__ import annotations

import io
import random

from hypothesis import given
from hypothesis import strategies as st

from rekap.data import region_tree
from rekap.domain.region_tree import JenisTps, Region, RegionTree, TpsRange
from rekap.domain.wilayah import KodeWilayah, Level
from rekap.sources.wilayah_file import compress_numbers, format_region, load_tree, parse_region


def test_the_2024_tree_has_every_level() -> None:
    tree = region_tree()
    domestic = {
        level: sum(1 for r in tree.at_level(level) if not r.kode.is_overseas)
        for level in (Level.PROVINSI, Level.KABUPATEN_KOTA, Level.KECAMATAN, Level.DESA)
    }
    assert domestic == {
        Level.PROVINSI: 38,
        Level.KABUPATEN_KOTA: 514,
        Level.KECAMATAN: 7277,
        Level.DESA: 83731,
    }
    assert tree.count(Level.DESA) == 84035  # with 304 overseas units
    national = tree.tps_count()
    overseas = tree.tps_count(KodeWilayah("99"))
    assert national - overseas == 820161
    assert overseas == 3205
    counts = tree.tps_counts()
    assert counts[""] == national
    assert counts["99"] == overseas
    assert sum(counts[p.kode.value] for p in tree.at_level(Level.PROVINSI)) == national


def test_tps_codes_are_checked_against_their_desa() -> None:
    tree = region_tree()
    desa = tree.get(KodeWilayah("1101082007"))  # two regular TPS and special TPS 901
    assert desa.tps_count == 3
    assert KodeWilayah("1101082007001") in tree
    assert KodeWilayah("1101082007901") in tree
    assert KodeWilayah("1101082007003") not in tree
    assert [k.value for k in desa.tps_codes()][-1] == "1101082007901"


def test_overseas_units_know_their_kind() -> None:
    tree = region_tree()
    kinds = {r.jenis for r in tree.children(KodeWilayah("990101"))}
    assert JenisTps.POS in kinds
    assert all(k.exempt_from_size_limit for k in (JenisTps.POS, JenisTps.KSK))
    assert not JenisTps.TPSLN.exempt_from_size_limit


def test_children_and_paths_follow_the_codes() -> None:
    tree = region_tree()
    kabupaten = tree.children(KodeWilayah("33"))
    assert kabupaten and all(k.kode.value.startswith("33") for k in kabupaten)
    path = tree.path(KodeWilayah("3310052013001"))
    assert [r.level for r in path] == [
        Level.NASIONAL,
        Level.PROVINSI,
        Level.KABUPATEN_KOTA,
        Level.KECAMATAN,
        Level.DESA,
    ]
    assert path[1].nama == "JAWA TENGAH"


def test_search_finds_places_by_name() -> None:
    found = region_tree().search("kepulauan seribu utara")
    assert found and found[0].nama == "KEPULAUAN SERIBU UTARA"


def test_file_lines_round_trip() -> None:
    tree = region_tree()
    for kode in ("11", "1101", "110108", "1101082007", "9901010002"):
        region = tree.regions[kode]
        assert parse_region(format_region(region)) == region
    small = load_tree(io.StringIO("11\tACEH\n1101\tX\n110101\tY\n1101012001\tZ\t1-3,901\ttps\n"))
    assert small.tps_count() == 4


def _under(tree: RegionTree, code: str) -> int:
    """The TPS under ``code`` by a plain filter over every desa (what a count must equal)."""
    return sum(r.tps_count for r in tree.at_level(Level.DESA) if r.kode.value.startswith(code))


@given(
    st.lists(
        st.tuples(st.sampled_from(("1101", "1109", "9901")), st.integers(1, 3), st.integers(1, 2)),
        max_size=12,
    ),
    st.lists(st.integers(0, 5), max_size=4),
)
def test_a_regions_tps_count_is_the_sum_over_its_desa(
    desa: list[tuple[str, int, int]], sizes: list[int]
) -> None:
    """Whatever the tree, a region's count (kept once counted) is its desa's TPS; a code the
    tree does not hold (a TPS's, an unknown region's) has none."""
    regions = [Region(KodeWilayah(k), k) for k in ("11", "99", "1101", "1109", "9901")]
    for kabupaten, kecamatan, number in desa:
        regions.append(Region(KodeWilayah(f"{kabupaten}0{kecamatan}"), "KEC"))
        tps = tuple(TpsRange(1, n) for n in sizes[: number + 1] if n)
        regions.append(
            Region(KodeWilayah(f"{kabupaten}0{kecamatan}200{number}"), "DESA", None, tps)
        )
    tree = RegionTree.build(regions)
    asked = [*tree.regions, "1101012001001", "1102", "12", "1101099999"]
    for _ in range(2):  # the first asking counts them all, the second reads what was kept
        assert {c: tree.tps_count(KodeWilayah(c)) for c in asked} == {
            c: _under(tree, c) for c in asked
        }
    assert tree.tps_count() == _under(tree, "")
    assert dict(tree.tps_counts()) == {c: _under(tree, c) for c in tree.regions}


def test_the_national_trees_counts_match_its_desa() -> None:
    tree = region_tree()
    codes = random.Random(2024).sample(sorted(tree.regions), 40)
    for code in [*codes, "3171", "317101", "99", "3310052013001"]:
        assert tree.tps_count(KodeWilayah(code)) == _under(tree, code), code


def test_numbers_compress_to_ranges() -> None:
    ranges = compress_numbers([3, 1, 2, 901, 903, 902, 7])
    assert [(r.first, r.last) for r in ranges] == [(1, 3), (7, 7), (901, 903)]
