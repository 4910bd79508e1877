"""What the tally needs of each TPS, read from the stored rows: one rule for the live updates
and for a full rebuild, so the two cannot disagree.

A TPS's **stage** is the capture stage it really reached: ``published`` when a photo of its
form was released, ``verified`` when a person's entry made its result (or its form or photos
are verified), ``read`` when it has numbers (read by the machine, or imported) or a photo of it
was read, ``received`` when a photo of it arrived (or an imported result names photos).
It was **entered by people** when its result's source is a verifiers' entry (``entry``).
A result is **blocking** when a blocking finding is open for it: the findings stored with it,
by its import or, for a result of the capture workflow, when it was stored
(``result_findings``), as the portal shows them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, text

from rekap.adapters.storage.json_text import loads, numbers
from rekap.adapters.storage.photo_times import stored_time
from rekap.capture.states import PhotoState
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.rules.completeness import COMPLETENESS_RULES, VOTES_RULE
from rekap.rules.finding import Finding, Severity
from rekap.rules.registry import rule_by_id
from rekap.rules.rule import RuleContext
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage

READ_PHOTO_STATES = frozenset({"checked", "accepted", "needs_verification", "verified"})
PASSED = frozenset({"accepted", "verified"})
"""The form and photo states of numbers that passed verification (by the machine or people)."""
CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredResult:
    source_kind: str
    values: Mapping[str, int]
    jenis: str
    external_photos: tuple[str | None, ...]


@dataclass(slots=True)
class TpsRows:
    """Everything stored about one TPS of one contest that its tally depends on."""

    kode_tps: str
    result: StoredResult | None = None
    photo_states: set[str] = field(default_factory=set)
    form_state: str | None = None
    findings: list[Finding] = field(default_factory=list)
    photo_times: list[tuple[datetime, datetime]] = field(default_factory=list)
    """(taken, received) of each photo that did not fail (read once, checked twice)."""


Checks = Callable[[TpsRows], tuple[Finding, ...]]


def capture_stage(rows: TpsRows) -> TpsStage:
    """The furthest stage of the capture workflow the TPS has reached."""
    states, result = rows.photo_states, rows.result
    has_values = result is not None and bool(result.values)
    if "published" in states:
        return TpsStage.PUBLISHED
    by_person = has_values and result is not None and result.source_kind == "entry"
    # verified: numbers people entered, or a form the machine read in full with no blocking
    # finding (accepted); so it is before a snapshot releases it as after
    if by_person or rows.form_state in PASSED or states & PASSED:
        return TpsStage.VERIFIED
    if has_values or states & READ_PHOTO_STATES:
        return TpsStage.READ
    if states or (result is not None and result.external_photos):
        return TpsStage.RECEIVED
    return TpsStage.NONE


class ResultChecks:
    """The findings of a TPS: those stored with its result (by its import, or by the capture
    workflow when it stored the result: ``result_findings``), never run here."""

    def __init__(self, form_spec: FormSpec, election: Election, contest: str) -> None:
        self.form_spec = form_spec
        self.election = election
        self.contest = contest

    def __call__(self, rows: TpsRows) -> tuple[Finding, ...]:
        stored = tuple(rows.findings)
        if rows.result is not None and rows.result.source_kind == "import":
            # findings stored before a rule existed miss it: a vote not recorded still
            # holds the result (F-SUARA-LENGKAP, checked here for what was stored without it)
            return stored + self._votes_recorded(rows, stored)
        return stored

    def _votes_recorded(self, rows: TpsRows, stored: tuple[Finding, ...]) -> tuple[Finding, ...]:
        result = rows.result
        if result is None or not result.values or any(f.rule == VOTES_RULE for f in stored):
            return ()
        try:
            code = KodeWilayah.parse(rows.kode_tps)
        except InvalidKodeWilayah:
            return ()
        found = TpsResult(code, self.contest, dict(result.values))
        context = RuleContext(found, self.form_spec, self.election)
        rule = COMPLETENESS_RULES[0]
        return tuple(rule.rule.finding(v) for v in rule.check(context))


def tally_state(rows: TpsRows, checks: Checks) -> TpsState:
    values = dict(rows.result.values) if rows.result is not None else {}
    blocking = rows.result is not None and any(f.blocking for f in checks(rows))
    by_people = rows.result is not None and rows.result.source_kind == "entry"
    return TpsState(rows.kode_tps, capture_stage(rows), blocking, values, by_people)


def stored_finding(row: Mapping[str, Any]) -> Finding:
    """A stored finding; both messages are re-derived from the rule and the evidence when
    they can be (the row keeps the English one as it was written, which an older rekap wrote
    without thousands separators), else the stored one serves for both."""
    evidence = dict(row["evidence"] or {})
    message_id = message_en = row["message"]
    with contextlib.suppress(KeyError, IndexError, ValueError):
        rule = rule_by_id(row["rule"])
        message_id, message_en = rule.message(evidence, "id"), rule.message(evidence, "en")
    return Finding(
        rule=row["rule"],
        severity=Severity(row["severity"]),
        fields=tuple(row["fields"] or ()),
        message=message_id,
        message_en=message_en,
        evidence=evidence,
    )


def chunks(codes: Sequence[str] | None) -> Iterator[Sequence[str] | None]:
    """None (no filter) once, or the codes in chunks small enough for any SQL driver."""
    if codes is None:
        yield None
        return
    for start in range(0, len(codes), CHUNK):
        yield codes[start : start + CHUNK]


@cache
def _query(chosen: str) -> TextClause:
    """The four tables' rows of ``"all"`` TPS, ``"one"`` or ``"many"`` in one statement (one
    round trip to the server), prepared once: part 0 results, 1 photo states, 2 form states,
    3 findings in the order they were stored."""
    where = (
        "contest = :contest"
        + {
            "all": "",
            "one": " AND kode_tps = :kode",
            "many": " AND kode_tps IN :codes",
        }[chosen]
    )
    none = "CAST(NULL AS TEXT)"
    query = text(
        "SELECT 0 AS part, kode_tps, source_kind AS a, CAST(fields AS TEXT) AS b, jenis AS c, "
        f"CAST(photos AS TEXT) AS d, {none} AS e, 0 AS ord FROM tps_result WHERE {where} "
        f"UNION ALL SELECT 1, kode_tps, state, captured_at, received_at, {none}, {none}, 0 "
        f"FROM photo WHERE {where} "
        f"UNION ALL SELECT 2, kode_tps, state, {none}, {none}, {none}, {none}, 0 "
        f"FROM form WHERE {where} "
        "UNION ALL SELECT 3, kode_tps, rule, severity, CAST(fields AS TEXT), message, "
        f"CAST(evidence AS TEXT), id FROM finding WHERE {where} "
        "ORDER BY part, ord"
    )
    return query.bindparams(bindparam("codes", expanding=True)) if chosen == "many" else query


def read_rows(
    connection: Connection, contest: str, codes: Sequence[str] | None = None
) -> dict[str, TpsRows]:
    """The rows of the TPS named in ``codes`` (every TPS with anything stored when None)."""
    rows: dict[str, TpsRows] = {}

    def of(kode: str) -> TpsRows:
        found = rows.get(kode)
        if found is None:
            found = rows[kode] = TpsRows(kode)
        return found

    query = _query("all" if codes is None else "one" if len(codes) == 1 else "many")
    for chunk in chunks(codes):
        params: dict[str, object] = {"contest": contest}
        if chunk is not None:
            params.update(kode=chunk[0], codes=list(chunk))
        for part, kode, a, b, c, d, e, _ in connection.execute(query, params):
            if part == 0:
                given = numbers(loads(b))
                of(kode).result = StoredResult(a, given, c, tuple(loads(d) or ()))
            elif part == 1:
                of(kode).photo_states.add(a)
                if a != PhotoState.FAILED.value:
                    of(kode).photo_times.append((stored_time(b), stored_time(c)))
            elif part == 2:
                of(kode).form_state = a
            else:
                stored = {"rule": a, "severity": b, "fields": loads(c), "message": d}
                stored["evidence"] = loads(e)
                of(kode).findings.append(stored_finding(stored))
    return rows
