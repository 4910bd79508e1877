"""Enrolling every TPS's officer of a region from one file (`rekap admin import`).

Usage: .venv/bin/python bench/account_import.py [--region 73] [--db URL]
Writes a CSV of one officer per TPS of the region (the real 2024 tree) and times the import
into a fresh SQLite file (or the --db given, which must be empty), then the same file imported
again (nothing new). Prints the machine, the rows and the seconds; records nothing by itself.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from rekap.cli.main import app
from rekap.data import region_tree


def _officers(region: str, path: Path) -> int:
    tree = region_tree()
    rows = ["name,role,scope"]
    for code, desa in sorted(tree.regions.items()):
        if len(code) == 10 and code.startswith(region):
            rows += [f"KPPS {t.value},officer,{t.value}" for t in desa.tps_codes()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--region", default="73", help="Region code prefix (default: 73).")
    parser.add_argument("--db", help="An empty database URL (default: a fresh SQLite file).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        db = args.db or f"sqlite:///{base / 'rekap.db'}"
        listed = base / "officers.csv"
        count = _officers(args.region, listed)
        print(f"{_cpu()}, {count:,} officers of {args.region}")
        for attempt, tokens in (("first import", "tokens.csv"), ("again", "again.csv")):
            started = time.perf_counter()
            command = ["admin", "import", str(listed), "--tokens", str(base / tokens)]
            result = CliRunner().invoke(app, [*command, "--db", db])
            took = time.perf_counter() - started
            assert result.exit_code == 0, result.output
            print(f"{attempt}: {took:.1f} s ({count / took:,.0f} rows/s)")


if __name__ == "__main__":
    main()
