"""What the portal needs beyond the AppContext: where snapshots are, how fresh pages must be."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_SNAPSHOTS = Path("var") / "snapshots"


@dataclass(frozen=True)
class PortalSettings:
    snapshots: Path = DEFAULT_SNAPSHOTS
    """The folder `rekap publish --out` writes; served read-only under /data/snapshots/."""
    refresh_seconds: float = 2.0
    """The public figures are rebuilt from the store at most this often (and only when the
    change log has moved), so a busy election night costs one rebuild per interval."""
    rebuild_in_background: bool = True
    """A full rebuild of figures that exist already (after an import: tens of seconds at
    national size) runs in a thread while every request is served the previous figures; off,
    the request that finds them stale waits for it (tests that read right after a change)."""
    contest: str = "ppwp"
