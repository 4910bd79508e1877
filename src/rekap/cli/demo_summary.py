"""What `rekap demo` prints at the end: photos, forms, reading quality, findings, totals."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from rekap.adapters.storage.forms import decide_together
from rekap.adapters.storage.schema import form, photo
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import check_tps
from rekap.services.scoring import ReadingScore
from rekap.simulation.truth import SimulatedTps
from rekap.web.context import AppContext


def _as_assessed(readings: list[Any]) -> list[Any]:
    """A TPS's photo readings with the pages read decided together, as its form is assessed
    (`decide_together`): what the published numbers come from."""
    read = [i for i, r in enumerate(readings) if r is not None and r.get("status") == "ok"]
    decided = decide_together([readings[i] for i in read])
    together = dict(zip(read, decided, strict=True))
    return [together.get(i, r) for i, r in enumerate(readings)]


def summarise(context: AppContext, truth: list[SimulatedTps], seconds: float, out: Console) -> None:
    by_kode = {t.kode.value: t for t in truth}
    score = ReadingScore()
    photo_states: Counter[str] = Counter()
    by_tps: dict[str, list[Any]] = {}
    with context.engine.connect() as connection:
        for kode, state, reading in connection.execute(
            select(photo.c.kode_tps, photo.c.state, photo.c.reading).order_by(photo.c.id)
        ):
            photo_states[state] += 1
            by_tps.setdefault(kode, []).append(reading)
        for kode, readings in by_tps.items():
            for reading in _as_assessed(readings):
                score.add_page(kode, reading, by_kode[kode].values)
        forms = list(connection.execute(select(form.c.kode_tps, form.c.state, form.c["values"])))
    form_states = Counter(state for _, state, _ in forms)
    findings: Counter[str] = Counter()
    counted: dict[str, int] = Counter()
    for kode, state, values in forms:
        result = TpsResult(KodeWilayah(kode), "ppwp", values)
        findings.update({f.rule for f in check_tps(result, context.form, context.election)})
        if state in ("accepted", "verified"):
            for field in context.form.vote_fields:
                counted[field.id] += int(values.get(field.id, 0))
    out.rule("[bold]What happened")
    out.print(
        f"{len(truth):,} TPS simulated; {score.pages:,} photos uploaded and signed for; "
        f"{sum(photo_states.values()):,} processed in {seconds:.0f} s."
    )
    states = ", ".join(f"{n:,} {s}" for s, n in sorted(photo_states.items()))
    out.print(f"Photos: {states}.")
    out.print(
        "Forms: "
        + ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in sorted(form_states.items()))
        + "."
    )
    out.print(
        f"Numbers: {score.fields_read:,} read, {score.fields_abstained:,} abstained "
        f"({100 * score.abstain_rate:.2f}%) and sent to people (each TPS's pages decided "
        "together, as its form is assessed); "
        f"[bold]{score.silent_errors:,} silent errors[/] against the ground truth "
        f"({score.silent_error_rate * 10_000:.1f} per 10,000 numbers)."
    )
    for example in score.examples[:5]:
        out.print(f"  silent error: {example}")
    if score.failures:
        out.print("Pages not read: " + ", ".join(f"{n} {s}" for s, n in score.failures.items()))
    rules = Table(title="Findings on the machine's readings, by rule (TPS)")
    rules.add_column("rule")
    rules.add_column("TPS", justify="right")
    for rule, n in sorted(findings.items()):
        rules.add_row(rule, f"{n:,}")
    out.print(rules)
    totals = Table(title="Votes counted so far (accepted and verified forms) vs the truth")
    for column in ("paslon", "counted", "truth (all TPS)"):
        totals.add_column(column, justify="right")
    for field in context.form.vote_fields:
        truth_total = sum(t.actual.get(field.id, 0) for t in truth)
        totals.add_row(field.id, f"{counted[field.id]:,}", f"{truth_total:,}")
    out.print(totals)
