"""Which top-level modules a `rekap` command loads, run in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "cv2", "onnxruntime", "psycopg")
"""What `rekap recount` must not load: the database, web and reading libraries."""


def loaded_after(args: Sequence[str], exit_codes: Sequence[int] = (0, 2)) -> set[str]:
    """The top-level modules loaded once `rekap ARGS` has run (and exited with one of
    ``exit_codes``)."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from rekap.cli.main import app\n"
        f"result = CliRunner().invoke(app, {list(args)!r})\n"
        f"assert result.exit_code in {tuple(exit_codes)!r}, result.output\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())
