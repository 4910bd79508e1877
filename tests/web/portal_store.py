"""A portal over a store of its own: a fresh SQLite database with ``tree``'s regions, the
context the app serves it with, and a client of that app (for tests that put their own
results, findings or log records in the store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.domain.region_tree import RegionTree
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.settings import PortalSettings


def portal_store(root: Path, tree: RegionTree) -> tuple[SqlStore, AppContext]:
    """A migrated store under ``root`` holding ``tree``'s regions, and its app context."""
    engine = open_engine(f"sqlite:///{root / 'rekap.db'}")
    upgrade(engine)
    store = SqlStore(engine)
    store.load_regions(tree)
    key = load_or_create(root / "server.pem")
    return store, AppContext(engine, key, LocalPhotoStore(root / "photos"), tree=tree)


@contextmanager
def portal_client(context: AppContext, root: Path) -> Iterator[TestClient]:
    """The app over ``context``, its page data read afresh at every request."""
    settings = PortalSettings(
        snapshots=root / "snapshots", refresh_seconds=0.0, rebuild_in_background=False
    )
    with TestClient(create_app(context, settings)) as client:
        yield client
