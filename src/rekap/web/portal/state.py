"""The portal's long-lived parts, built once per app from the AppContext and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from fastapi import Request

from rekap.adapters.storage.tally_inputs import ResultChecks
from rekap.adapters.storage.tally_store import TallyStore
from rekap.tally.layout import TallyLayout
from rekap.web.context import AppContext
from rekap.web.portal.crops import CropMaker
from rekap.web.portal.live import LiveData, LiveParts
from rekap.web.portal.live_cache import LiveCache
from rekap.web.portal.paslon import Paslon, paslon_of
from rekap.web.portal.queries import PortalQueries
from rekap.web.portal.search import SearchIndex
from rekap.web.portal.settings import PortalSettings


@dataclass
class Portal:
    context: AppContext
    settings: PortalSettings = field(default_factory=PortalSettings)

    def __post_init__(self) -> None:
        contest, context = self.settings.contest, self.context
        self.queries = PortalQueries(context.engine, contest)
        self.layout = TallyLayout.of_form(contest, context.form)
        checks = ResultChecks(context.form, context.election, contest)
        self.tally = TallyStore(context.engine, self.layout, None, checks)
        """The stored tally (the writers keep it; the pages only read it)."""
        self.cache = LiveCache(
            LiveParts(self.queries, self.tally, context.form, context.election, context.tree),
            self.settings.refresh_seconds,
            in_background=self.settings.rebuild_in_background,
        )
        self.crops = CropMaker(self.context.files)

    @cached_property
    def search(self) -> SearchIndex:
        return SearchIndex(self.context.tree)

    @cached_property
    def paslon(self) -> tuple[Paslon, ...]:
        contest = self.context.election.contest(self.settings.contest)
        return paslon_of(contest.dapil[0].entries)

    def live(self) -> LiveData:
        return self.cache.get()


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found
