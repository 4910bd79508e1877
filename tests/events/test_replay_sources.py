"""Replaying where imported results came from: each event sets what it carries, a log written
before imports carried photos checks only what it says, and a stored imported result no
``result.imported`` names is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rekap.events.chain import Recorded, append
from rekap.events.model import Event, PhotosChanged, ResultImported, SourceChanged
from rekap.events.replay import Unreplayable
from rekap.events.replay_sources import Parts, compare_sources, replay_results

T0 = datetime(2024, 2, 14, 13, 0, tzinfo=UTC)
KEY = ("3310052013001", "ppwp")


def _chain(*events: Event) -> list[Recorded]:
    records, previous = [], None
    for event in events:
        previous = append(previous, event, T0, "test", "")
        records.append(previous)
    return records


def test_each_event_sets_the_parts_it_carries() -> None:
    records = _chain(
        ResultImported(*KEY, "a.csv:2", {"paslon_1": 1}, "2024-02-15 10:00:00", ("a.jpg",)),
        PhotosChanged(*KEY, "b.csv:2", "2024-02-16 10:00:00", ("a.jpg",), ("b.jpg", None, "c")),
        SourceChanged(*KEY, "a.csv:2", "c.csv:9", "2024-02-15 10:00:00", None),
    )
    replayed = replay_results(records)
    assert replayed.values == {KEY: {"paslon_1": 1}}
    assert replayed.sources == {
        KEY: {
            "source_ref": "c.csv:9",
            "published_at": None,
            "photos": ("b.jpg", None, "c"),
            "photos_published_at": "2024-02-16 10:00:00",
        }
    }
    stored: Parts = dict(replayed.sources[KEY])
    assert list(compare_sources(replayed.sources, [(KEY, stored)])) == []
    moved = [
        (m.part, m.logged, m.stored)
        for m in compare_sources(replayed.sources, [(KEY, {**stored, "photos": ("x.jpg",)})])
    ]
    assert moved == [("photos", ("b.jpg", None, "c"), ("x.jpg",))]


def test_an_older_log_checks_only_what_it_says() -> None:
    """A ``result.imported`` written before it carried photos: the imports of then moved a
    TPS's source and photos without an event, so only its being imported is checked."""
    old = {"kode_tps": KEY[0], "contest": KEY[1], "source": "a.csv:2", "values": {}}
    record = Recorded(1, "result.imported", T0, "test", "", old, "0" * 64, "1" * 64)
    sources = replay_results([record]).sources
    assert sources == {KEY: {}}
    stored: Parts = {"source_ref": "b.csv:7", "photos": ("p.jpg",), "published_at": "x"}
    assert list(compare_sources(sources, [(KEY, stored)])) == []
    other = ("3310052013002", "ppwp")
    (unknown,) = compare_sources(sources, [(other, stored)])
    assert (unknown.kode_tps, unknown.part) == (other[0], "result")


def test_photos_that_are_not_a_list_are_unreplayable() -> None:
    payload = {
        "kode_tps": KEY[0],
        "contest": KEY[1],
        "source": "b.csv:2",
        "published_at": None,
        "before": [],
        "after": "b.jpg",
    }
    record = Recorded(7, "result.photos_changed", T0, "test", "", payload, "0" * 64, "1" * 64)
    with pytest.raises(Unreplayable, match="event 7 cannot be replayed"):
        replay_results([record])
