"""The live tally at national size: 823k simulated TPS results over the real 2024 region tree.

Usage: .venv/bin/python bench/tally_national.py [--updates N] [--no-postgres]
Prints, with the machine: the full rebuild (numpy), one TPS update in memory, the stored
rebuild and one TPS update on SQLite (rekap's engine, whose WAL checkpoints run in a background
thread, and, on the same file, SQLite's default inline checkpoints) and on PostgreSQL on
127.0.0.1:5432 when reachable, p50/p99 over N random updates. Records nothing by itself.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from rekap.adapters.storage.engine import _begin_immediate, _sqlite_pragmas, open_engine
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.tally_inputs import read_rows, tally_state
from rekap.adapters.storage.tally_store import TallyStore, contest_checks
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.tally.contribution import TpsState, contribution
from rekap.tally.index import RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import desa_rows, rebuild, rebuild_matrix
from rekap.tally.stage import TpsStage

POSTGRES = os.environ.get(
    "REKAP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STAGES = (TpsStage.READ, TpsStage.VERIFIED, TpsStage.PUBLISHED)


def layout() -> TallyLayout:
    contest = election_2024().contest("ppwp")
    return TallyLayout.of_form("ppwp", c_hasil_ppwp(contest.dapil[0]))


def simulate_values(codes: list[str], seed: int = 2024) -> dict[str, np.ndarray]:
    """Numbers for every TPS: DPT, turnout, invalid ballots, three paslon (by provinsi shares)."""
    rng = np.random.default_rng(seed)
    n = len(codes)
    provinces = sorted({c[:2] for c in codes})
    shares = rng.dirichlet((4.0, 9.0, 3.0), size=len(provinces))
    province_of = np.array([provinces.index(c[:2]) for c in codes])
    dpt = rng.integers(120, 300, size=n)
    came = rng.binomial(dpt, 0.8)
    tidak_sah = rng.binomial(came, 0.02)
    sah = came - tidak_sah
    votes = rng.multinomial(sah, shares[province_of])
    return {
        "dpt_j": dpt,
        "pengguna_total_j": came,
        "paslon_1": votes[:, 0],
        "paslon_2": votes[:, 1],
        "paslon_3": votes[:, 2],
        "suara_sah": sah,
        "suara_tidak_sah": tidak_sah,
        "suara_total": came,
        "blocking": rng.random(n) < 0.03,
        "stage": rng.integers(0, len(STAGES), size=n),
    }


def simulate_states(codes: list[str], seed: int = 2024) -> list[TpsState]:
    columns = simulate_values(codes, seed)
    names = [k for k in columns if k not in ("blocking", "stage")]
    lists = {k: columns[k].tolist() for k in names}
    blocking = columns["blocking"].tolist()
    stage = columns["stage"].tolist()
    return [
        TpsState(code, STAGES[stage[i]], blocking[i], {k: lists[k][i] for k in names})
        for i, code in enumerate(codes)
    ]


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def percentiles(samples: list[float], cpu: list[float] | None = None) -> str:
    """Wall-clock p50/p99/max, and the p99 of the thread's own CPU time when measured (what
    the update costs without the waits: another process on the CPU, an fsync)."""
    ordered = sorted(samples)
    own = f", thread CPU p99 {p99(cpu) * 1000:.3f} ms" if cpu else ""
    return (
        f"p50 {statistics.median(ordered) * 1000:.3f} ms, p99 {p99(ordered) * 1000:.3f} ms, "
        f"max {ordered[-1] * 1000:.3f} ms{own} ({len(ordered):,} updates)"
    )


class Clock:
    """Wall and thread-CPU time of each timed call."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, action: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        action()
        self.cpu.append(time.thread_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def __str__(self) -> str:
        return percentiles(self.wall, self.cpu)


def random_updates(states: list[TpsState], count: int, seed: int = 7) -> list[TpsState]:
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.integers(0, len(states), size=count).tolist():
        old = states[i]
        values = {
            **old.values,
            "paslon_1": old.values["paslon_1"] + 1,
            "suara_sah": old.values["suara_sah"] + 1,
        }
        values["suara_total"] = values["suara_sah"] + values["suara_tidak_sah"]
        out.append(TpsState(old.kode_tps, TpsStage.VERIFIED, bool(rng.random() < 0.03), values))
    return out


def _timed_updates(store: TallyStore, updates: list[TpsState]) -> Clock:
    clock = Clock()
    for state in updates:
        clock.time(lambda state=state: store.apply(state))  # type: ignore[misc]
    return clock


def _statements_only(store: TallyStore, updates: list[TpsState]) -> Clock:
    """The tally's own work when it rides in the transaction of the change that caused it."""
    clock = Clock()
    with store.engine.begin() as connection:
        for state in updates:
            new = contribution(state, store.layout)
            clock.time(lambda s=state, n=new: store.apply_in(connection, s.kode_tps, n))  # type: ignore[misc]
    return clock


def _publish(engine: Engine, state: TpsState) -> None:
    with engine.begin() as connection:
        publish_values(connection, state.kode_tps, "ppwp", "tps", state.values, "entry", "b", ())


def _published(store: TallyStore, updates: list[TpsState]) -> Clock:
    """The real write path: a TPS's result stored (``publish_values``, as a closed
    verification does) and its tally refreshed from the stored rows, in one transaction."""
    clock = Clock()
    for state in updates:
        clock.time(lambda state=state: _publish(store.engine, state))  # type: ignore[misc]
    return clock


def _inline_checkpoints(url: str) -> Engine:
    """rekap's SQLite engine as it was before the background checkpoints: SQLite's default
    automatic checkpoint (1,000 pages), run by whichever commit crosses it."""
    engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA wal_autocheckpoint=1000"))
    event.listen(engine, "begin", _begin_immediate)
    return engine


def bench_store(
    name: str, url: str, index: RegionIndex, states: list[TpsState], updates: int
) -> None:
    shape = layout()
    rebuilt = rebuild(index, shape, states)
    batches = [random_updates(states, updates, seed) for seed in (1, 2, 3)]
    sqlite = url.startswith("sqlite")
    if sqlite:  # the same file, first without the background checkpoints
        inline = _inline_checkpoints(url)
        upgrade(inline)
        store = TallyStore(inline, shape, index)
        seconds, _ = timed(lambda: store.replace(rebuilt.table))
        print(
            f"{name}: store a full rebuild ({len(index):,} regions, {len(states):,} TPS): "
            f"{seconds:.1f} s"
        )
        samples = _timed_updates(store, batches[2])
        print(
            f"{name}: one TPS update, own transaction, checkpoints inline (SQLite's default): "
            f"{samples}"
        )
        inline.dispose()
    engine = open_engine(url)
    upgrade(engine)
    store = TallyStore(engine, shape, index)
    if not sqlite:
        seconds, _ = timed(lambda: store.replace(rebuilt.table))
        print(
            f"{name}: store a full rebuild ({len(index):,} regions, {len(states):,} TPS): "
            f"{seconds:.1f} s"
        )
    what = "rekap's engine (background checkpoints)" if sqlite else "own transaction"
    print(f"{name}: one TPS update, {what}: {_timed_updates(store, batches[0])}")
    print(f"{name}: one TPS update, statements only: {_statements_only(store, batches[1])}")
    if not sqlite:
        relaxed = create_engine(engine.url, connect_args={"options": "-c synchronous_commit=off"})
        samples = _timed_updates(TallyStore(relaxed, shape, index), batches[2])
        print(f"{name}: one TPS update, own transaction, synchronous_commit=off: {samples}")
        relaxed.dispose()
    published = _published(store, batches[0])
    print(f"{name}: a result stored and its tally refreshed, one transaction: {published}")
    check = store.table(index)
    with engine.connect() as connection:  # the published results, as the store reads them
        stored = read_rows(connection, "ppwp", sorted({u.kode_tps for u in batches[0]}))
    checks = contest_checks("ppwp")
    order = (batches[2], batches[0], batches[1]) if sqlite else batches
    applied = final_states(states, [u for b in order for u in b])
    stored_states = [tally_state(r, checks) for r in stored.values()]
    expected = rebuild(index, shape, final_states(applied, stored_states)).table
    print(f"{name}: stored tally after the updates = rebuild: {check.same_totals(expected)}")
    engine.dispose()


def final_states(states: list[TpsState], updates: list[TpsState]) -> list[TpsState]:
    last = {s.kode_tps: s for s in states}
    last.update((u.kode_tps, u) for u in updates)
    return list(last.values())


def postgres_url() -> tuple[str, Callable[[], None]] | None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"rekap_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return POSTGRES.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--sqlite-dir", help="where the SQLite file goes (default: the temp dir)")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    tree = region_tree()
    seconds, index = timed(lambda: RegionIndex.build(tree))
    assert isinstance(index, RegionIndex)
    codes = [c.value for r in tree.regions.values() if r.jenis for c in r.tps_codes()]
    print(f"region index: {len(index):,} regions, {len(codes):,} TPS in {seconds:.2f} s")
    seconds, states = timed(lambda: simulate_states(codes))
    assert isinstance(states, list)
    print(f"simulated {len(states):,} results in {seconds:.1f} s")
    shape = layout()
    seconds, rebuilt = timed(lambda: rebuild(index, shape, states))
    print(f"full rebuild from TPS states (Python contributions + numpy sums): {seconds:.2f} s")
    rows, _ = desa_rows(index, codes)
    matrix = np.array([contribution(s, shape) for s in states], dtype=np.int64)
    runs = [timed(lambda: rebuild_matrix(index, shape, rows, matrix))[0] for _ in range(5)]
    print(f"full rebuild from the contribution matrix (numpy only): best {min(runs):.3f} s of 5")
    table = rebuilt.table  # type: ignore[attr-defined]
    samples = []
    for state in random_updates(states, 20_000):
        started = time.perf_counter()
        table.apply_state(state)
        samples.append(time.perf_counter() - started)
    print(f"in memory: one TPS update through all 5 ancestors: {percentiles(samples)}")
    with tempfile.TemporaryDirectory(dir=args.sqlite_dir) as folder:
        bench_store("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", index, states, args.updates)
    if not args.no_postgres:
        found = postgres_url()
        if found is None:
            print("PostgreSQL: not reachable, skipped")
        else:
            url, drop = found
            try:
                bench_store("PostgreSQL", url, index, states, args.updates)
            finally:
                drop()


if __name__ == "__main__":
    main()
