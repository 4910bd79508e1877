"""How long the national region tree takes to say how many TPS a region expects.

Usage: .venv/bin/python bench/region_counts.py

Loads the 2024 region tree (``rekap.data.region_tree``, as the portal, the tally and the CLI
do: 91,000 regions, 84,035 desa), then times ``tree.tps_count(kode)`` for the nation and for the
provinsi, kabupaten, kecamatan, desa and TPS of the first TPS of the tree: the first call on the
tree, then the median of 20 more; then one call for each provinsi and each kabupaten/kota, the
overseas ones among them (what a caller that asks region by region pays). The tree counts every
region once, at its first call (the nation's, timed first): every later "first" call and the
region-by-region loop are lookups. Prints wall times; records nothing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

from rekap.data import region_tree
from rekap.domain.wilayah import KodeWilayah, Level
from scratch_database import machine_line


def milliseconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    print(machine_line())
    start = time.perf_counter()
    tree = region_tree()
    print(f"tree loaded in {(time.perf_counter() - start) * 1000:.0f} ms, {len(tree):,} regions")
    desa = next(tree.at_level(Level.DESA))
    tps = next(desa.tps_codes())
    places = {"nation": None, "provinsi": tps.value[:2], "kabupaten": tps.value[:4]}
    places |= {"kecamatan": tps.value[:6], "desa": tps.value[:10], "tps": tps.value}
    for name, code in places.items():
        kode = None if code is None else KodeWilayah(code)
        first = milliseconds(partial(tree.tps_count, kode))
        then = statistics.median(milliseconds(partial(tree.tps_count, kode)) for _ in range(20))
        count = tree.tps_count(kode)
        label = f"{name} {code or ''}".strip()
        print(f"  {label:<24} {count:>8,} TPS  first {first:8.2f} ms  then {then:9.4f} ms")
    for level in (Level.PROVINSI, Level.KABUPATEN_KOTA):
        regions = [r.kode for r in tree.at_level(level)]
        start = time.perf_counter()
        total = sum(tree.tps_count(k) for k in regions)
        seconds = time.perf_counter() - start
        print(
            f"  every {level.name.lower()} ({len(regions)}, {total:,} TPS in all)"
            f"  {seconds * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
