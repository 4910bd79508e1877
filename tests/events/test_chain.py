"""The change log's laws: an untouched chain verifies; any edit, insertion or removal is named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from rekap.events.chain import GENESIS, Recorded, append, digest, verify_chain
from rekap.events.document import events_markdown
from rekap.events.heads import check_heads, sign_head
from rekap.events.model import EVENT_TYPES, Event, FindingsRecorded, ResultImported, ValueChanged

T0 = datetime(2024, 2, 14, 13, 0, tzinfo=UTC)

events = st.one_of(
    st.builds(
        ValueChanged,
        kode_tps=st.just("3310052013001"),
        contest=st.just("ppwp"),
        field=st.sampled_from(["paslon_1", "suara_sah"]),
        before=st.one_of(st.none(), st.integers(0, 999)),
        after=st.one_of(st.none(), st.integers(0, 999)),
    ),
    st.builds(
        FindingsRecorded,
        kode_tps=st.just("3310052013002"),
        contest=st.just("ppwp"),
        rules=st.lists(st.sampled_from(["F-SUM-SAH", "W-TPS-300"]), max_size=2).map(tuple),
    ),
    st.builds(
        ResultImported,
        kode_tps=st.just("3310052013003"),
        contest=st.just("ppwp"),
        source=st.just("file.csv:2"),
        values=st.dictionaries(st.sampled_from(["paslon_1", "suara_sah"]), st.integers(0, 999)),
    ),
)


def build(chain_events: list[Event]) -> list[Recorded]:
    records: list[Recorded] = []
    for i, event in enumerate(chain_events):
        previous = records[-1] if records else None
        at = T0 + timedelta(seconds=i)
        records.append(append(previous, event, at, "operator:1", "test"))
    return records


@given(st.lists(events, min_size=1, max_size=12))
def test_an_untouched_chain_verifies(chain_events: list[Event]) -> None:
    records = build(chain_events)
    check = verify_chain(records)
    assert check.ok
    assert check.checked == len(records)
    assert check.head == records[-1]
    assert records[0].previous_hash == GENESIS
    for record, event in zip(records, chain_events, strict=True):
        assert record.event() == event


@given(st.lists(events, min_size=2, max_size=10), st.data())
def test_editing_any_record_is_found_there(chain_events: list[Event], data: st.DataObject) -> None:
    records = build(chain_events)
    index = data.draw(st.integers(0, len(records) - 1))
    target = records[index]
    edit = data.draw(st.sampled_from(["actor", "reason", "at", "payload"]))
    changes: dict[str, object] = {
        "actor": {"actor": "someone-else"},
        "reason": {"reason": "quietly"},
        "at": {"at": target.at + timedelta(hours=1)},
        "payload": {"payload": {**target.payload, "tampered": 1}},
    }[edit]
    records[index] = dataclasses.replace(target, **changes)  # type: ignore[arg-type]
    check = verify_chain(records)
    assert not check.ok
    assert check.broken_at == target.sequence
    assert check.checked == index


@given(st.lists(events, min_size=3, max_size=10), st.data())
def test_removing_a_record_is_found(chain_events: list[Event], data: st.DataObject) -> None:
    records = build(chain_events)
    index = data.draw(st.integers(0, len(records) - 2))
    del records[index]
    check = verify_chain(records)
    assert not check.ok
    assert check.broken_at == records[index].sequence


def test_rewriting_a_record_with_a_fresh_hash_breaks_the_next_link() -> None:
    records = build([ValueChanged("3310052013001", "ppwp", "paslon_1", 118, 941)] * 3)
    forged = append(
        records[0],
        ValueChanged("3310052013001", "ppwp", "paslon_1", 118, 118),
        records[1].at,
        "operator:1",
        "test",
    )
    records[1] = forged
    check = verify_chain(records)
    assert check.broken_at == 3
    assert "link" in (check.problem or "")


class Ed25519Keys:
    """Ed25519 signing and checking for the test, with the real library."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.key_id = "test-key"
        self.public: dict[str, Ed25519PublicKey] = {self.key_id: self.private.public_key()}

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        try:
            self.public[key_id].verify(signature, message)
        except (InvalidSignature, KeyError):
            return False
        return True


def test_signed_heads_verify_and_forgeries_do_not() -> None:
    keys = Ed25519Keys()
    records = build([FindingsRecorded("3310052013001", "ppwp", ())] * 4)
    hashes = {r.sequence: r.hash for r in records}
    head = sign_head(4, records[3].hash, T0, keys)
    assert check_heads([head], hashes, keys) == []
    wrong_hash = dataclasses.replace(head, hash=records[2].hash)
    assert "signature" in check_heads([wrong_hash], hashes, keys)[0]
    other = {**hashes, 4: "f" * 64}
    assert "another hash" in check_heads([head], other, keys)[0]


def test_every_event_class_is_documented(repo_root: Path) -> None:
    assert {cls.kind for cls in EVENT_TYPES.values()} == set(EVENT_TYPES)
    written = (repo_root / "docs" / "events.md").read_text(encoding="utf-8")
    assert written == events_markdown(), "docs/events.md is stale: regenerate it"


def test_an_event_of_a_kind_this_version_does_not_know_is_checked_and_named() -> None:
    """A newer rekap's event kind: its link and hash are checked like any other's (a change
    to it is still found), and the kind is named, not taken for a broken log."""
    at = datetime(2024, 2, 14, tzinfo=UTC)
    first = append(None, ValueChanged("3101011001001", "ppwp", "paslon_1", None, 1), at, "a", "r")
    payload = {"task_id": 1}
    link = digest(2, "verification.future", at, "a", "r", payload, first.hash)
    future = Recorded(2, "verification.future", at, "a", "r", payload, first.hash, link)
    check = verify_chain([first, future])
    assert check.ok and check.checked == 2
    assert check.unknown_kinds == ("verification.future",)
    altered = dataclasses.replace(future, payload={"task_id": 2})
    assert verify_chain([first, altered]).broken_at == 2
