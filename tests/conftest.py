"""Fixtures shared by the whole suite: where ../shared is, and skipping cleanly without it;
Hypothesis without its per-example deadline."""

from __future__ import annotations

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
