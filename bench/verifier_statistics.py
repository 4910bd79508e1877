"""How long the verifier statistics take for a national election's verifiers.

Usage: .venv/bin/python bench/verifier_statistics.py [--verifiers 20000] [--entries 500000]
                                                     [--database sqlite|postgresql]

Makes a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
REKAP_TEST_POSTGRES_URL, dropped afterwards) and fills it by bulk inserts: ``--verifiers``
verifiers spread over the provinsi, ``--entries`` entries of the C.Hasil PPWP (two a form,
every field, a few marked "cannot read"; 3% of the verifiers careless, disagreeing with the
final numbers on a third of their forms), a skip for one entry in twelve and reports of
unreadable photos. Then times, three times each (the first run cold), what the page
``/verifikasi/statistik`` asks of the store: an admin's first page (every verifier's standing,
ordered flagged first, and the full lines of the page's 100), the last page, a provinsi's
first page, and one verifier's own line; and ``statistics()`` of everyone (the API's answer).
Records nothing by itself.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, text

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import (
    account,
    device,
    form,
    photo,
    verification_entry,
    verification_report,
    verification_skip,
    verification_task,
)
from rekap.adapters.storage.verification import VerificationStore
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.web.portal.verifier_statistics import statistics_page
from scratch_database import fresh_databases, machine_line

AT = datetime(2024, 2, 14, 20, tzinfo=UTC).isoformat()
PROVINSI = ("11", "12", "13", "31", "32", "33", "34", "35", "36", "51", "52", "53", "61", "73")
CHUNK = 20_000
SEED = 2024


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _bulk(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    for batch in _chunks(rows):
        with engine.begin() as connection:
            connection.execute(insert(table), batch)


def fill(engine: Engine, fields: list[str], verifiers: int, entries: int) -> list[str]:
    """The store filled as the module says; the verifiers' account ids."""
    draw = random.Random(SEED)
    ids = [f"bench-v{i:06d}" for i in range(verifiers)]
    names = list(range(verifiers))
    draw.shuffle(names)  # the names' order is not the ids'
    careless = set(draw.sample(ids, verifiers * 3 // 100))
    _bulk(
        engine,
        account,
        (
            {
                "id": a,
                "name": f"Verifikator {names[i]:06d}",
                "role": "verifier",
                "scope": PROVINSI[i % len(PROVINSI)],
                "token_sha256": f"{i:064x}",
                "created_at": AT,
                "disabled": False,
            }
            for i, a in enumerate(ids)
        ),
    )
    forms = entries // 2
    truths = [{f: draw.randrange(1000) for f in fields} for _ in range(97)]

    def kode(t: int) -> str:
        return f"{PROVINSI[(2 * t) % verifiers % len(PROVINSI)]}{t:011d}"

    tasks: Iterator[dict[str, Any]] = (
        {
            "id": t + 1,
            "kode_tps": kode(t),
            "contest": "ppwp",
            "state": "closed" if t % 10 else "adjudication",
            "reasons": [],
            "created_at": AT,
        }
        for t in range(forms)
    )
    _bulk(engine, verification_task, tasks)
    forms_rows: Iterator[dict[str, Any]] = (
        {
            "kode_tps": kode(t),
            "contest": "ppwp",
            "state": "verified" if t % 10 else "adjudication",
            "values": truths[t % 97],
            "abstained": [],
            "reasons": [],
            "updated_at": AT,
        }
        for t in range(forms)
    )
    _bulk(engine, form, forms_rows)

    def entry(n: int) -> dict[str, Any]:
        t, who = n // 2, ids[n % verifiers]
        values: dict[str, int | None] = dict(truths[t % 97])
        if draw.random() < (0.33 if who in careless else 0.02):
            values["paslon_2"] = (int(values["paslon_2"] or 0) + 1) % 1000
        if draw.random() < 0.01:
            values["suara_tidak_sah"] = None
        seconds = 20.0 + draw.random() * 100
        return {
            "task_id": t + 1,
            "account_id": who,
            "role": "verifier",
            "values": values,
            "seconds": seconds,
            "entered_at": AT,
            "salt": None,
        }

    _bulk(engine, verification_entry, (entry(n) for n in range(2 * forms)))
    skips = (
        {"task_id": draw.randrange(forms) + 1, "account_id": draw.choice(ids), "skipped_at": AT}
        for _ in range(entries // 12)
    )
    _bulk(engine, verification_skip, skips)
    with engine.begin() as connection:
        connection.execute(
            insert(device).values(
                id="bench", account_id=ids[0], public_key="0" * 64, registered_at=AT
            )
        )
    reports = entries // 100
    photos = (
        {
            "id": p + 1,
            "sha256": f"{p:064x}",
            "kode_tps": kode(p),
            "contest": "ppwp",
            "page": 2,
            "format": "jpeg",
            "width": 1,
            "height": 1,
            "captured_at": AT,
            "received_at": AT,
            "account_id": ids[0],
            "device_id": "bench",
            "device_signature": "",
            "receipt_signature": "",
            "state": "verified" if p % 2 else "sent_back",
            "reason": "",
            "store_misses": 0,
        }
        for p in range(reports)
    )
    _bulk(engine, photo, photos)
    reported = (
        {
            "task_id": p + 1,
            "account_id": ids[(7 * p) % verifiers],
            "photo_id": p + 1,
            "page": 2,
            "reported_at": AT,
        }
        for p in range(reports)
    )
    _bulk(engine, verification_report, reported)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return ids


def _milliseconds(what: Callable[[], object]) -> str:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        what()
        times.append((time.perf_counter() - started) * 1000)
    return " / ".join(f"{t:,.0f}" for t in times) + " ms"


def measure(store: VerificationStore, ids: list[str]) -> None:
    """Print the times of what the page asks of the store."""
    first = statistics_page(store, 1)
    print(
        f"  {first.total:,} verifiers, {first.flagged:,} flagged, {first.pages:,} pages; "
        f"first row {first.rows[0]['account_id']} (flagged {first.rows[0]['flagged']})"
    )
    print(f"  admin, page 1:          {_milliseconds(lambda: statistics_page(store, 1))}")
    last = first.pages
    print(f"  admin, page {last}:        {_milliseconds(lambda: statistics_page(store, last))}")
    region = PROVINSI[5]
    shown = _milliseconds(lambda: statistics_page(store, 1, region))
    print(f"  admin, provinsi {region}, page 1: {shown}")
    one = ids[len(ids) // 2]
    print(f"  one verifier's line:    {_milliseconds(lambda: store.statistics([one]))}")
    print(f"  every line (the API):   {_milliseconds(store.statistics)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verifiers", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    print(machine_line())
    election = election_2024()
    spec = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    for url in fresh_databases(options.database):
        engine = open_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        ids = fill(engine, [f.id for f in spec.fields], options.verifiers, options.entries)
        print(
            f"{options.database}: {options.verifiers:,} verifiers, {options.entries:,} entries "
            f"filled in {time.perf_counter() - started:.0f} s"
        )
        measure(VerificationStore(engine, EventLog(engine), spec, election), ids)
        engine.dispose()


if __name__ == "__main__":
    main()
