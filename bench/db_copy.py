"""Moving an election into PostgreSQL (`rekap db copy`), timed.

Usage: .venv/bin/python bench/db_copy.py [--source sqlite:///PATH] [--runs 3]
    [--admin postgresql://postgres@127.0.0.1:5432/test]
Without --source, imports the two 2024 Sirekap CSVs of DKI Jakarta (../shared/data) into a
fresh SQLite file (about 230,000 rows). Each run copies the source into a new PostgreSQL
database made through --admin (dropped afterwards) and prints the rows, the seconds and the
CPU seconds of this process (not the server's); records nothing by itself.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from rekap.adapters.storage.copy import copy_database
from rekap.adapters.storage.engine import open_engine
from rekap.cli.main import app

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirekap-2024"
JAKARTA = sorted(SHARED.glob("sirekap-ppwp-tps-dki-jakarta-2024-*.csv.gz"))


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _seeded(folder: Path) -> str:
    url = f"sqlite:///{folder / 'jakarta.db'}"
    for csv in JAKARTA:
        result = CliRunner().invoke(app, ["import", "sirekap", str(csv), "--db", url])
        assert result.exit_code == 0, result.output
    return url


def _one_run(source: str, admin_url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"rekap_copy_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = open_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    src = open_engine(source)
    try:
        started, cpu = time.perf_counter(), os.times()
        copy = copy_database(src, target)
        took, after = time.perf_counter() - started, os.times()
        rows = sum(table.rows for table in copy.tables)
        used = after.user - cpu.user + after.system - cpu.system
        print(f"{rows:,} rows in {took:.2f} s ({rows / took:,.0f} rows/s), {used:.2f} s CPU here")
    finally:
        target.dispose()
        src.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", help="The database to copy (default: Jakarta, imported).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--admin",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="A PostgreSQL URL allowed to create and drop databases.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = args.source or _seeded(Path(folder))
        print(f"{_cpu()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {source}")
        for _ in range(args.runs):
            _one_run(source, args.admin)


if __name__ == "__main__":
    main()
