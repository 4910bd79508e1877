"""Derive rekap's compact 2024 region file from ../shared/data/wilayah.

Domestic desa and their TPS numbers come from ``kp24-desa-tps-counts.csv`` (regular TPS
1..n plus the special-location range 9xx). Overseas units come from ``tps_ln.csv``, which
lists every TPS, POS and KSK with its number; the counts file encodes some of those units as
negative numbers, so the list is the reliable source for them.

Usage: python tools/build_wilayah.py [SHARED_WILAYAH_DIR] [OUTPUT]
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections import defaultdict
from pathlib import Path

from rekap.domain.region_tree import JenisTps, Region, RegionTree, TpsRange
from rekap.domain.wilayah import KodeWilayah
from rekap.sources.wilayah_file import compress_numbers, format_region

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "wilayah"
DEFAULT_OUTPUT = ROOT / "src" / "rekap" / "data" / "wilayah-2024.tsv.gz"


def domestic_regions(counts_csv: Path) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    with counts_csv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kode_prov"] == "99":
                continue
            for key, name in (
                ("kode_prov", "nama_prov"),
                ("kode_kab", "nama_kab"),
                ("kode_kec", "nama_kec"),
            ):
                regions.setdefault(row[key], Region(KodeWilayah(row[key]), row[name].strip()))
            ranges = []
            if int(row["n_tps_reguler"]) > 0:
                ranges.append(TpsRange(1, int(row["n_tps_reguler"])))
            if row["tps_khusus_dari"]:
                ranges.append(TpsRange(int(row["tps_khusus_dari"]), int(row["tps_khusus_sampai"])))
            kode = KodeWilayah(row["kode_desa"])
            regions[kode.value] = Region(
                kode, row["nama_desa"].strip(), JenisTps.TPS, tuple(ranges)
            )
    return regions


def overseas_regions(tps_ln_csv: Path) -> dict[str, Region]:
    regions: dict[str, Region] = {"99": Region(KodeWilayah("99"), "LUAR NEGERI")}
    numbers: dict[str, set[int]] = defaultdict(set)
    jenis: dict[str, JenisTps] = {}
    with tps_ln_csv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            negara, kota, unit = row["kode_negara"], row["kode_kota"], row["kode_tps"]
            regions.setdefault(negara, Region(KodeWilayah(negara), row["negara"].strip()))
            regions.setdefault(kota, Region(KodeWilayah(kota), row["kota"].strip()))
            kind = row["tps/pos/ksk"].strip().upper()
            jenis[unit] = JenisTps.TPSLN if kind == "TPS" else JenisTps(kind.lower())
            numbers[unit].add(int(row["no_tps"]))
    for unit, nums in numbers.items():
        kode = KodeWilayah(unit)
        name = f"{jenis[unit].value.upper()} {regions[unit[:6]].nama}"
        regions[unit] = Region(kode, name, jenis[unit], compress_numbers(nums))
    return regions


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUTPUT
    regions = domestic_regions(source / "kp24-desa-tps-counts.csv")
    regions.update(overseas_regions(source / "tps_ln.csv"))
    tree = RegionTree.build(regions.values())  # checks that every parent exists
    lines = [
        "# rekap region tree, 2024: kode<TAB>nama[<TAB>TPS numbers<TAB>jenis]",
        "# derived by tools/build_wilayah.py from the KPU 2024 hierarchy (kp24) and tps_ln.csv",
    ]
    lines += [format_region(regions[code]) for code in sorted(regions)]
    output.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    print(f"wrote {output} ({output.stat().st_size:,} bytes, {len(tree) - 1:,} regions)")


if __name__ == "__main__":
    main()
