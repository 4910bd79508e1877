"""The compact region file shipped with rekap (``rekap/data/wilayah-2024.tsv.gz``).

One line per region, tab-separated: ``kode``, ``nama``, and for a desa or overseas unit the
TPS numbers as ranges (``1-12,901-902``) and the unit's jenis (``tps``, ``tpsln``, ``pos``,
``ksk``). Lines starting with ``#`` are comments. Writing and reading are inverse functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rekap.domain.region_tree import JenisTps, Region, RegionTree, TpsRange
from rekap.domain.wilayah import KodeWilayah, Level


def format_ranges(ranges: Iterable[TpsRange]) -> str:
    return ",".join(f"{r.first}" if r.first == r.last else f"{r.first}-{r.last}" for r in ranges)


def parse_ranges(text: str) -> tuple[TpsRange, ...]:
    ranges = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        ranges.append(TpsRange(int(first), int(last or first)))
    return tuple(ranges)


def compress_numbers(numbers: Iterable[int]) -> tuple[TpsRange, ...]:
    """Turn a set of TPS numbers into the fewest ascending ranges."""
    ranges: list[TpsRange] = []
    for n in sorted(set(numbers)):
        if ranges and ranges[-1].last == n - 1:
            ranges[-1] = TpsRange(ranges[-1].first, n)
        else:
            ranges.append(TpsRange(n, n))
    return tuple(ranges)


def format_region(region: Region) -> str:
    fields = [region.kode.value, region.nama]
    if region.level is Level.DESA:
        fields += [format_ranges(region.tps_ranges), (region.jenis or JenisTps.TPS).value]
    return "\t".join(fields)


_JENIS = {jenis.value: jenis for jenis in JenisTps}


def parse_region(line: str) -> Region:
    fields = line.rstrip("\n").split("\t")
    kode = KodeWilayah(fields[0])
    if len(fields[0]) == Level.DESA.value:
        return Region(kode, fields[1], _JENIS[fields[3]], parse_ranges(fields[2]))
    return Region(kode, fields[1])


def parse_lines(lines: Iterable[str]) -> Iterator[Region]:
    for number, line in enumerate(lines, start=1):
        if line.startswith("#") or not line.strip():
            continue
        try:
            yield parse_region(line)
        except (ValueError, IndexError, KeyError) as error:
            raise ValueError(f"region file line {number}: {error}") from error


def load_tree(lines: Iterable[str]) -> RegionTree:
    return RegionTree.build(parse_lines(lines))
