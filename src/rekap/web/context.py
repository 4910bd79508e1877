"""Everything a request handler needs, built once by the composition root and handed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from starlette.requests import Request

from rekap.adapters.intake import Intake
from rekap.adapters.keys import SigningKey
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.photo_retry import OnRetried, PhotoRetry
from rekap.adapters.storage.photos import OnReceived, PhotoStore
from rekap.adapters.storage.verification import VerificationStore
from rekap.data import election_2024, region_tree
from rekap.domain.election import Election
from rekap.domain.form import FormSpec, c_hasil_ppwp
from rekap.domain.region_tree import RegionTree
from rekap.web.health import Health
from rekap.web.rate_limit import RateLimiter


def utc_now() -> datetime:
    return datetime.now(UTC)


PUBLIC_RATE = 100.0
"""Requests a second each network address may make of the public routes (``rekap serve
--public-rate``): generous for one reader, and for the many behind one carrier's shared
address (CGNAT) on an election night; a scraper walking every page is slowed, not refused."""
PUBLIC_BURST_S = 10.0
"""An address may spend this many seconds' worth of its rate at once."""


@dataclass
class AppContext:
    engine: Engine
    key: SigningKey
    files: PhotoFiles
    clock: Callable[[], datetime] = utc_now
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    """Per credential, on every route that needs one."""
    public_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(PUBLIC_RATE, round(PUBLIC_RATE * PUBLIC_BURST_S))
    )
    """Per network address, on the public routes (pages, open data, the log)."""
    election: Election = field(default_factory=election_2024)
    tree: RegionTree = field(default_factory=region_tree)

    def __post_init__(self) -> None:
        self.log = EventLog(self.engine)
        self.accounts = AccountStore(self.engine, self.log)
        on_received: OnReceived | None = None
        on_retried: OnRetried | None = None
        if self.engine.dialect.name == "postgresql":  # production: the procrastinate queue
            from rekap.adapters.queue import defer_all_in_transaction, ensure_queue_schema

            ensure_queue_schema(self.engine)
            on_received = defer_all_in_transaction
            on_retried = defer_all_in_transaction
        self.photos = PhotoStore(self.engine, self.log, self.key, on_received)
        self.retrier = PhotoRetry(self.engine, self.log, on_retried)
        """Failed photos put back to be processed (queued like a new photo)."""
        local = self.files if isinstance(self.files, LocalPhotoStore) else None
        self.intake = Intake(self.photos, None if local is None else local.make_durable)
        self.local_files = local
        """The photo folder when photos are local files: written on the upload path and
        flushed by the intake, a batch at a time (an object store's ``put`` is durable)."""
        self.form: FormSpec = c_hasil_ppwp(self.election.contest("ppwp").dapil[0])
        self.verification = VerificationStore(self.engine, self.log, self.form, self.election)
        self.health = Health(self.engine, self.files)
        """What `/api/v1/health` says, looked at once every few seconds."""


def context_of(request: Request) -> AppContext:
    """The service's context, as ``create_app`` put it on the application."""
    ctx: AppContext = request.app.state.context
    return ctx
