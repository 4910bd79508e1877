"""The `rekap` command: the composition root that wires adapters to the pure core."""

from __future__ import annotations

import typer

from rekap.cli import db, demo, digits, log, publish, read, rules, serve, simulate, sirekap

app = typer.Typer(
    name="rekap",
    help="Verifiable recapitulation of C.Hasil tally forms: read, check, tally, publish.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(sirekap.import_app, name="import")
app.add_typer(sirekap.validate_app, name="validate")
app.add_typer(db.app, name="db")
app.add_typer(log.app, name="log")
app.add_typer(serve.admin_app, name="admin")
app.add_typer(serve.receipt_app, name="receipt")
app.add_typer(digits.app, name="digits")
# Sub-commands registered by their own modules follow.
app.command("demo")(demo.demo)
app.command("rules")(rules.rules)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("read")(read.read)
app.command("simulate")(simulate.simulate)
app.command("publish")(publish.publish)
app.command("recount")(publish.recount)
app.command("tally")(publish.tally)
