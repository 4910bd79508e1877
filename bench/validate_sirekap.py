"""Time and peak memory of validating Sirekap's national per-TPS file (443,968 rows).

Usage: .venv/bin/python bench/validate_sirekap.py [PATH]
Prints rows, seconds, rows/s and peak resident memory; records nothing by itself.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from pathlib import Path

from rekap.adapters.sirekap_files import read_records
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.services.validation import validate_records
from rekap.sources.sirekap import SirekapParser

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared/data/sirekap-2024/sirekap-ppwp-tps-2024-gigit-36prov.csv.gz"
)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"no such file: {path} (the national file lives in ../shared)")
    started = time.perf_counter()
    election = election_2024()
    contest = election.contest("ppwp")
    parser = SirekapParser(contest, region_tree())
    form = c_hasil_ppwp(contest.dapil[0])
    report = validate_records(read_records(path), parser, form, election)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {python}")
    print(f"rows read: {report.rows_read:,}; accepted: {report.accepted_count:,}")
    print(f"TPS with a blocking finding: {report.blocking_tps():,}")
    print(f"seconds: {seconds:.1f}; rows/s: {report.rows_read / seconds:,.0f}")
    print(f"peak resident memory: {peak_mb:,.0f} MB")
    for rule, count in sorted(report.tps_per_rule().items()):
        print(f"  {rule:22s} {count:>8,} TPS")


if __name__ == "__main__":
    main()
