"""`rekap rules`: the catalogue of validation rules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rekap.rules.document import rules_markdown
from rekap.rules.registry import ALL_RULES


def rules(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/rules.md.")] = False,
) -> None:
    """List every validation rule with its id, severity and exemptions."""
    if markdown:
        typer.echo(rules_markdown(), nl=False)
        return
    table = Table(title="Validation rules")
    for column in ("id", "severity", "what it checks", "exemptions"):
        table.add_column(column)
    for rule in ALL_RULES:
        table.add_row(rule.id, rule.severity.value, rule.title, rule.exemptions or "")
    Console().print(table)
