"""The verifier statistics as an admin reads them among tens of thousands: those flagged for a
check first, then by name, a page at a time (``PAGE_SIZE`` lines), of every verifier or of
those enrolled for one region. Only the page's lines are counted in full; the order needs each
verifier's entries and disagreements alone (``VerificationStore.standings``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rekap.adapters.storage.verification import VerificationStore
from rekap.adapters.storage.verification_statistics import Standing

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class StatisticsPage:
    """One page of the statistics: its full lines in order, the names they are shown by, and
    the whole list's size (``total`` verifiers, ``flagged`` of them, over ``pages`` pages)."""

    page: int
    pages: int
    total: int
    flagged: int
    rows: list[dict[str, object]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        """Whether the page is one of the list's (page 1 always is, even of none)."""
        return 1 <= self.page <= self.pages


def flagged_first(standings: Sequence[Standing]) -> list[Standing]:
    """Those flagged for a check first, then by the person's name (ignoring case), then by
    account id: a total order, so a page holds the same people until the figures change (the
    store's own order, by account id, says nothing to a reader)."""
    return sorted(standings, key=lambda s: (not s.flagged, s.name.casefold(), s.account_id))


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages ``total`` lines fill (at least one, which may be empty)."""
    return max(1, -(-total // size))


def statistics_page(
    store: VerificationStore, page: int, scope: str = "", size: int | None = None
) -> StatisticsPage:
    """Page ``page`` (from 1) of the verifiers whose scope lies in ``scope`` ("" for all),
    ordered by ``flagged_first``, ``size`` lines a page (``PAGE_SIZE``); a page beyond the
    last has no lines."""
    size = PAGE_SIZE if size is None else size
    ordered = flagged_first(store.standings(scope))
    chosen = ordered[(page - 1) * size : page * size] if page >= 1 else []
    lines = {str(r["account_id"]): r for r in store.statistics([s.account_id for s in chosen])}
    return StatisticsPage(
        page,
        pages_of(len(ordered), size),
        len(ordered),
        sum(1 for s in ordered if s.flagged),
        [lines[s.account_id] for s in chosen if s.account_id in lines],
        {s.account_id: s.name for s in chosen},
    )
