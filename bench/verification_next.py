"""How long handing out a verification task takes with many open tasks in one region.

Usage: .venv/bin/python bench/verification_next.py [--tasks 100000] [--people 6]
                                                   [--database sqlite|postgresql]

Makes a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
REKAP_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped
afterwards) with ``--tasks`` open tasks in one province and ``--people`` verifiers of it, then
times each verifier's first ``next_task`` (each is handed a task, drawn among the oldest) and
prints the wall milliseconds of each and their median. Records nothing by itself.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import insert

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import verification_task
from rekap.adapters.storage.verification import VerificationStore
from rekap.capture.access import Role
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from scratch_database import fresh_databases, machine_line

AT = datetime(2024, 2, 14, 20, tzinfo=UTC)
PROVINSI = "33"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    print(machine_line())
    for url in fresh_databases(options.database):
        engine = open_engine(url)
        upgrade(engine)
        election = election_2024()
        form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
        log = EventLog(engine)
        accounts = AccountStore(engine, log)
        store = VerificationStore(engine, log, form, election)
        rows = [
            {
                "kode_tps": f"{PROVINSI}{number:011d}",
                "contest": "ppwp",
                "state": "open",
                "reasons": [],
                "created_at": AT.isoformat(),
            }
            for number in range(options.tasks)
        ]
        with engine.begin() as connection:
            connection.execute(insert(verification_task), rows)
        people = [
            accounts.enrol(f"verifier {i}", Role.VERIFIER, PROVINSI, AT, "bench")[0]
            for i in range(options.people)
        ]
        times = []
        for person in people:
            started = time.perf_counter()
            task = store.next_task(person, AT)
            times.append((time.perf_counter() - started) * 1000)
            assert task is not None
        engine.dispose()
        print(
            f"{options.database}, {options.tasks:,} open tasks in provinsi {PROVINSI}: "
            f"next_task {', '.join(f'{t:.0f}' for t in times)} ms "
            f"(median {statistics.median(times):.0f} ms)"
        )


if __name__ == "__main__":
    main()
