"""The verifier statistics counted by the database, on SQLite and PostgreSQL: the same figures
as reading every entry into Python and counting there (as the store did before), for every
verifier, for one, and for a region; a page of the admin's list holds the next people,
flagged first."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.forms import READ_STATES
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
from rekap.web.portal.verifier_statistics import flagged_first, statistics_page

AT = datetime(2024, 2, 14, 20, tzinfo=UTC).isoformat()
FIELDS = ("paslon_1", "paslon_2", "paslon_3", "suara_sah")
SCOPES = ("33", "3310", "331005", "35", "")


def _fill(engine: Engine, seed: int) -> None:
    """Verifiers of several scopes (some careless), an adjudicator, forms in every state,
    form values with a number missing, null or written 5.0, entries with fields marked
    "cannot read", an entry whose form is not stored, skips and reports of photos."""
    draw = random.Random(seed)
    people = [
        (f"v{i:02d}", f"Verifikator {draw.choice('aBcD')}{i % 7}", SCOPES[i % 5]) for i in range(24)
    ]
    rows: list[dict[str, Any]] = [
        {"id": a, "name": n, "role": "verifier", "scope": s} for a, n, s in people
    ]
    rows.append({"id": "judge", "name": "Hakim", "role": "adjudicator", "scope": "33"})
    rows.append({"id": "kpps", "name": "Petugas", "role": "officer", "scope": "3310052013001"})
    with engine.begin() as connection:
        for i, row in enumerate(rows):
            token = {"token_sha256": f"{i:064x}", "created_at": AT, "disabled": False}
            connection.execute(insert(account).values(**row, **token))
        connection.execute(
            insert(device).values(id="d", account_id="kpps", public_key="0" * 64, registered_at=AT)
        )
        states = ("verified", "verified", "verified", "adjudication", "needs_verification")
        for t in range(1, 61):
            kode = f"3310052013{t:03d}"
            connection.execute(
                insert(verification_task).values(
                    id=t, kode_tps=kode, contest="ppwp", state="closed", reasons=[], created_at=AT
                )
            )
            final: dict[str, Any] = {f: draw.randrange(3) for f in FIELDS}
            if t % 11 == 0:
                del final["paslon_3"]
            if t % 13 == 0:
                final["paslon_2"] = None
            if t % 7 == 0:
                final["suara_sah"] = float(final["suara_sah"])  # 5.0 is 5
            if t != 60:  # task 60's form is not stored: its entries count nowhere
                connection.execute(
                    insert(form).values(
                        kode_tps=kode,
                        contest="ppwp",
                        state=states[t % 5],
                        values=final,
                        abstained=[],
                        reasons=[],
                        updated_at=AT,
                    )
                )
            for a, _, _ in draw.sample(people, 5):
                careless = a in ("v03", "v04", "v11")
                values: dict[str, Any] = {
                    f: (draw.randrange(3) if careless else int(final.get(f, 1) or 0))
                    for f in FIELDS
                }
                if draw.random() < 0.1:
                    values[draw.choice(FIELDS)] = None
                connection.execute(
                    insert(verification_entry).values(
                        task_id=t,
                        account_id=a,
                        role="verifier",
                        values=values,
                        seconds=round(draw.uniform(5, 90), 1),
                        entered_at=AT,
                    )
                )
            if t % 9 == 0:
                connection.execute(
                    insert(verification_entry).values(
                        task_id=t,
                        account_id="judge",
                        role="adjudicator",
                        values=dict.fromkeys(FIELDS, 0),
                        seconds=3.0,
                        entered_at=AT,
                    )
                )
            skipper = draw.choice([*[p[0] for p in people], "judge"])
            connection.execute(
                insert(verification_skip).values(task_id=t, account_id=skipper, skipped_at=AT)
            )
        for p in range(1, 16):  # photos of page 2, some replaced by a newer one since
            connection.execute(
                insert(photo).values(
                    id=p,
                    sha256=f"{p:064x}",
                    kode_tps=f"3310052013{(p + 1) // 2:03d}",
                    contest="ppwp",
                    page=2,
                    format="jpeg",
                    width=1,
                    height=1,
                    captured_at=AT,
                    received_at=AT,
                    account_id="kpps",
                    device_id="d",
                    device_signature="",
                    receipt_signature="",
                    state=("verified", "published", "failed", "checked")[p % 4],
                    reason="",
                )
            )
        for p in range(1, 16):
            for reporter in draw.sample([*[q[0] for q in people], "judge"], 2):
                connection.execute(
                    insert(verification_report).values(
                        task_id=(p + 1) // 2,
                        account_id=reporter,
                        photo_id=p,
                        page=2,
                        reported_at=AT,
                    )
                )


def _as_before(connection: Connection) -> list[dict[str, object]]:
    """The statistics as the store counted them before, every entry read into Python."""
    entries = (
        select(
            verification_entry.c.account_id,
            verification_entry.c["values"],
            verification_entry.c.seconds,
            form.c["values"],
            form.c.state,
        )
        .join(verification_task, verification_task.c.id == verification_entry.c.task_id)
        .join(
            form,
            (form.c.kode_tps == verification_task.c.kode_tps)
            & (form.c.contest == verification_task.c.contest),
        )
        .where(verification_entry.c.role == "verifier")
    )
    verifiers = set(connection.execute(select(account.c.id).where(account.c.role == "verifier")))
    verifiers = {str(a) for (a,) in verifiers}
    skips = [a for (a,) in connection.execute(select(verification_skip.c.account_id))]
    reports = connection.execute(
        select(verification_report.c.account_id, verification_report.c.task_id)
    ).all()
    photos = {
        i: (k, p, s)
        for i, k, p, s in connection.execute(
            select(photo.c.id, photo.c.kode_tps, photo.c.page, photo.c.state)
        )
    }
    by_photo = connection.execute(
        select(verification_report.c.account_id, verification_report.c.photo_id)
    ).all()
    lines: dict[str, dict[str, Any]] = {}

    def line(a: str) -> dict[str, Any]:
        return lines.setdefault(a, {"n": 0, "d": 0, "s": [], "u": 0})

    for a in skips:
        if a in verifiers:
            line(a)
    for a, _ in reports:
        if a in verifiers:
            line(a)
    for a, entry, seconds, final, state in connection.execute(entries):
        row = line(a)
        row["n"] += 1
        row["u"] += sum(1 for v in entry.values() if v is None)
        read = {k: v for k, v in entry.items() if v is not None}
        if state == "verified" and any(final.get(k) != v for k, v in read.items()):
            row["d"] += 1
        row["s"].append(float(seconds))

    def read_by_others(a: str) -> int:
        count = 0
        for who, p in by_photo:
            kode, page, state = photos[p]
            newer = any(
                k == kode and pg == page and i > p and s in READ_STATES
                for i, (k, pg, s) in photos.items()
            )
            count += who == a and state in ("verified", "published") and not newer
        return count

    result = []
    for a, row in sorted(lines.items()):
        times = sorted(row["s"])
        rate = row["d"] / row["n"] if row["n"] else 0.0
        result.append(
            {
                "account_id": a,
                "entries": row["n"],
                "disagreed_with_final": row["d"],
                "disagreement_rate": round(rate, 3),
                "median_seconds": times[len(times) // 2] if times else None,
                "skipped": sum(1 for s in skips if s == a),
                "reported_unreadable": len({t for w, t in reports if w == a}),
                "reports_read_by_others": read_by_others(a),
                "fields_unreadable": row["u"],
                "flagged": row["n"] >= 5 and rate > 0.2,
            }
        )
    return result


@pytest.fixture
def store(database_url: str) -> Iterator[VerificationStore]:
    engine = open_engine(database_url)
    upgrade(engine)
    _fill(engine, 7)
    election = election_2024()
    spec = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    yield VerificationStore(engine, EventLog(engine), spec, election)
    engine.dispose()


def test_the_database_counts_the_figures_python_counted_before(store: VerificationStore) -> None:
    with store.engine.connect() as connection:
        before = _as_before(connection)
    assert store.statistics() == before
    assert {r["account_id"] for r in before} >= {"v03", "v04", "v11"}
    assert "judge" not in {r["account_id"] for r in before}  # an adjudicator is no verifier
    flagged = {r["account_id"] for r in before if r["flagged"]}
    assert {"v03", "v04", "v11"} <= flagged  # careless: a third right at most
    assert any(r["disagreed_with_final"] for r in before if r["account_id"] not in flagged)
    assert any(r["fields_unreadable"] for r in before)
    assert any(r["reports_read_by_others"] for r in before)
    assert any(r["median_seconds"] is not None for r in before)


def test_one_verifiers_line_is_theirs_alone(store: VerificationStore) -> None:
    with store.engine.connect() as connection:
        before = {str(r["account_id"]): r for r in _as_before(connection)}
    for one in ("v03", "v07", "v20"):
        assert store.statistics([one]) == [before[one]]
    assert store.statistics(["v01", "v02"]) == [before["v01"], before["v02"]]
    assert store.statistics(["judge"]) == []  # an adjudicator has no line
    assert store.statistics([]) == []


def test_the_standings_agree_with_the_lines_and_keep_to_a_region(
    store: VerificationStore,
) -> None:
    lines = {str(r["account_id"]): r for r in store.statistics()}
    everyone = store.standings()
    assert [s.account_id for s in everyone] == sorted(lines)
    for s in everyone:
        line = lines[s.account_id]
        assert (s.entries, s.disagreed, s.flagged) == (
            line["entries"],
            line["disagreed_with_final"],
            line["flagged"],
        )
    with store.engine.connect() as connection:
        scopes = {
            str(a): str(s) for a, s in connection.execute(select(account.c.id, account.c.scope))
        }
    for region in ("33", "3310", "35", "9"):
        inside = [s for s in everyone if scopes[s.account_id].startswith(region)]
        assert store.standings(region) == inside
    assert store.standings("3310")  # the region has verifiers; "33" holds them too
    assert len(store.standings("33")) > len(store.standings("3310"))


def test_the_pages_hold_the_next_people_flagged_first(store: VerificationStore) -> None:
    lines = {str(r["account_id"]): r for r in store.statistics()}
    order = [s.account_id for s in flagged_first(store.standings())]
    pages = [statistics_page(store, n, size=5) for n in range(1, 7)]
    first = pages[0]
    assert (first.total, first.pages) == (len(lines), -(-len(lines) // 5))
    assert first.flagged == sum(1 for r in lines.values() if r["flagged"])
    shown = [str(r["account_id"]) for p in pages for r in p.rows]
    assert shown == order  # each page the next five, none twice, none left out
    assert [r["flagged"] for r in first.rows] == [True] * len(first.rows)
    assert all(p.rows == [lines[str(r["account_id"])] for r in p.rows] for p in pages)
    names = {s.account_id: s.name for s in store.standings()}
    assert pages[1].names == {a: names[a] for a in shown[5:10]}
    beyond = statistics_page(store, first.pages + 1, size=5)
    assert not beyond.exists and beyond.rows == [] and beyond.total == first.total
    region = statistics_page(store, 1, "35", size=100)
    assert [r["account_id"] for r in region.rows] == [
        s.account_id for s in flagged_first(store.standings("35"))
    ]
