"""The `rekap` command: the composition root that wires adapters to the pure core.

Each sub-command's module is imported only when that command runs (see ``rekap.cli.lazy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import typer

from rekap.cli.lazy import Lazy, LazyGroup


class RekapCommands(LazyGroup):
    where: ClassVar[Mapping[str, Lazy]] = {
        # commands, in the order the help lists them
        "demo": Lazy("rekap.cli.demo", "demo"),
        "rules": Lazy("rekap.cli.rules", "rules"),
        "serve": Lazy("rekap.cli.serve", "serve"),
        "worker": Lazy("rekap.cli.serve", "worker"),
        "read": Lazy("rekap.cli.read", "read"),
        "simulate": Lazy("rekap.cli.simulate", "simulate"),
        "publish": Lazy("rekap.cli.publish", "publish"),
        "recount": Lazy("rekap.cli.recount", "recount"),
        "tally": Lazy("rekap.cli.publish", "tally"),
        # groups of commands
        "import": Lazy("rekap.cli.sirekap", "import_app"),
        "validate": Lazy("rekap.cli.sirekap", "validate_app"),
        "db": Lazy("rekap.cli.db", "app"),
        "log": Lazy("rekap.cli.log", "app"),
        "admin": Lazy("rekap.cli.admin", "admin_app"),
        "photos": Lazy("rekap.cli.photos", "app"),
        "receipt": Lazy("rekap.cli.serve", "receipt_app"),
        "digits": Lazy("rekap.cli.digits", "app"),
    }


app = typer.Typer(
    name="rekap",
    help="Verifiable recapitulation of C.Hasil tally forms: read, check, tally, publish.",
    no_args_is_help=True,
    add_completion=False,
    cls=RekapCommands,
)


@app.callback()
def rekap() -> None:
    """Verifiable recapitulation of C.Hasil tally forms: read, check, tally, publish."""
