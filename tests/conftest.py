"""Fixtures shared by the whole suite: where ../shared is, and skipping cleanly without it;
Hypothesis without its per-example deadline; `rekap publish` with its clock in 2100."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings

# The suite asserts no timing (speed is measured by bench/): an example that waits for a
# loaded machine (586 ms on two busy cores for one that takes 0.6 ms) is not a failure.
settings.register_profile("rekap", deadline=None)
settings.load_profile("rekap")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder beside the checkout; skip when a clone has none."""
    if not (SHARED_DIR / "data").is_dir():
        pytest.skip(f"../shared is absent ({SHARED_DIR}); this test reads real material from it")
    return SHARED_DIR


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


PUBLISHING_CLOCK = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def publishing_in_2100(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """`rekap publish` run as if this machine's clock read 2100-01-01: the tests give their
    snapshots fixed times in 2099, after every event they log today (a snapshot may not be
    older than the events it reflects), which a publication refuses while they are still to
    come. Its default snapshot time is then 2100-01-01 too."""
    from rekap.cli import publish

    monkeypatch.setattr(publish, "now", lambda: PUBLISHING_CLOCK)
    return PUBLISHING_CLOCK
