"""How long retrying failed photos takes, to size one `POST /api/v1/photos/retry` request
with `all_failed` (its `limit`, 5,000 unless asked).

Usage: .venv/bin/python bench/photo_retry.py [--photos 20000] [--limit 5000]
                                             [--database postgresql|sqlite]

Makes a fresh database (a new one on the PostgreSQL server of REKAP_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped afterwards, with the queue's
tables; or a temporary SQLite file) holding ``--photos`` photos of Jawa Tengah (33), the three
pages of each TPS of the real 2024 tree, all failed by a processing error, then retries them
as the API does: requests of ``--limit`` photos, each from the last one's ``next_after``
(``PhotoRetry.retry_failed``: 500 a transaction, each photo a ``photo.state_changed`` event,
its tally brought up to date and, on PostgreSQL, its job queued: a statement for the
transaction's photos). Prints the wall seconds of
each request and the photos retried a second. Records nothing by itself.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Engine, insert

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photo_retry import PhotoRetry
from rekap.adapters.storage.schema import photo
from rekap.capture.access import Role
from rekap.data import region_tree
from scratch_database import fresh_databases, machine_line

AT = datetime(2024, 2, 14, 20, tzinfo=UTC)
PROVINSI = "33"


def tps_codes() -> Iterator[str]:
    for code, desa in sorted(region_tree().regions.items()):
        if len(code) == 10 and code.startswith(PROVINSI):
            yield from (tps.value for tps in desa.tps_codes())


def failed_photos(engine: Engine, count: int) -> None:
    """``count`` photos failed by an error, three pages per TPS, by one officer's device."""
    log = EventLog(engine)
    accounts = AccountStore(engine, log)
    principal, _ = accounts.enrol("KPPS", Role.OFFICER, next(tps_codes()), AT, "bench")
    device = accounts.register_device(principal, bytes(32), AT)
    pages = ((kode, page) for kode in tps_codes() for page in (1, 2, 3))
    rows = [
        {
            "sha256": f"{number:064x}",
            "kode_tps": kode,
            "contest": "ppwp",
            "page": page,
            "format": "jpeg",
            "width": 3000,
            "height": 4000,
            "captured_at": AT.isoformat(),
            "received_at": AT.isoformat(),
            "account_id": principal.account_id,
            "device_id": device,
            "device_signature": "0" * 128,
            "receipt_signature": "0" * 128,
            "state": "failed",
            "reason": "processing failed: RuntimeError: the reader crashed",
        }
        for number, (kode, page) in enumerate(islice(pages, count), 1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(photo), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=5_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    options = parser.parse_args()
    print(machine_line())
    for url in fresh_databases(options.database):
        engine = open_engine(url)
        upgrade(engine)
        on_retried = None
        if engine.dialect.name == "postgresql":
            from rekap.adapters.queue import defer_all_in_transaction, ensure_queue_schema

            ensure_queue_schema(engine)
            on_retried = defer_all_in_transaction
        failed_photos(engine, options.photos)
        retrier = PhotoRetry(engine, EventLog(engine), on_retried)
        after, remaining, done, began = 0, options.photos, 0, time.perf_counter()
        while remaining:
            start = time.perf_counter()
            stretch = retrier.retry_failed(AT, "bench", "bench", "", after, options.limit)
            seconds = time.perf_counter() - start
            retried = len(stretch.outcome.retried)
            done += retried
            print(
                f"{engine.dialect.name}: a request of {retried:,} photos in {seconds:.2f} s "
                f"({retried / seconds:,.0f}/s); {stretch.remaining:,} remain"
            )
            after, remaining = stretch.last_id, stretch.remaining
        total = time.perf_counter() - began
        print(f"{engine.dialect.name}: {done:,} photos in {total:.1f} s ({done / total:,.0f}/s)")
        engine.dispose()
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
