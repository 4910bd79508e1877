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
    contest: str = "ppwp"
