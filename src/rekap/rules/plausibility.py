"""Warnings: numbers that are possible but unlikely, with their documented exemptions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta

from rekap.domain.timezones import zone_of_provinsi
from rekap.rules.finding import Severity
from rekap.rules.rule import Rule, RuleContext, TpsRule, Violation

CLOCK_SLACK = timedelta(minutes=10)
"""How far ahead of the server's clock a phone's may be before its photo's time is doubted."""
NEAR_IMPOSSIBLE_CELL = 500
UNANIMOUS_MINIMUM = 10
SIZE_FIELDS = ("dpt_j", "pengguna_total_j", "suara_total")


def _exempt_from_size(ctx: RuleContext) -> bool:
    return ctx.result.jenis.exempt_from_size_limit or ctx.election.uses_noken(ctx.result.kode_tps)


def check_votes_within_register(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    needed = ("suara_total", "dpt_j", "pengguna_dptb_j", "pengguna_dpk_j")
    if all(f in v for f in needed):
        reserve = math.floor(v["dpt_j"] * ctx.election.ballot_reserve_fraction)
        limit = v["dpt_j"] + reserve + v["pengguna_dptb_j"] + v["pengguna_dpk_j"]
        if v["suara_total"] > limit:
            yield Violation(needed, {"suara_total": v["suara_total"], "limit": limit})


def check_total_equals_voters(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    if "suara_total" in v and "pengguna_total_j" in v and v["suara_total"] < v["pengguna_total_j"]:
        yield Violation(
            ("suara_total", "pengguna_total_j"),
            {"suara_total": v["suara_total"], "pengguna_total": v["pengguna_total_j"]},
        )


def check_dpt_users_within_dpt(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    if "pengguna_dpt_j" in v and "dpt_j" in v and v["pengguna_dpt_j"] > v["dpt_j"]:
        yield Violation(
            ("pengguna_dpt_j", "dpt_j"), {"pengguna_dpt": v["pengguna_dpt_j"], "dpt": v["dpt_j"]}
        )


def check_tps_size(ctx: RuleContext) -> Iterator[Violation]:
    if _exempt_from_size(ctx):
        return
    limit = ctx.election.max_voters_per_tps
    for field_id in SIZE_FIELDS:
        value = ctx.result.values.get(field_id)
        if value is not None and value > limit:
            yield Violation((field_id,), {"field": field_id, "value": value, "limit": limit})


def check_near_impossible_cell(ctx: RuleContext) -> Iterator[Violation]:
    if ctx.result.kode_tps.is_overseas or _exempt_from_size(ctx):
        return
    for field_id, value in ctx.result.values.items():
        if NEAR_IMPOSSIBLE_CELL <= value <= 999:
            yield Violation((field_id,), {"field": field_id, "value": value})


def check_unanimous(ctx: RuleContext) -> Iterator[Violation]:
    if ctx.election.uses_noken(ctx.result.kode_tps):
        return
    v = ctx.result.values
    votes = [(f.id, v[f.id]) for f in ctx.form.vote_fields if f.id in v]
    sah = sum(value for _, value in votes)
    if len(votes) > 1 and sah >= UNANIMOUS_MINIMUM:
        for field_id, value in votes:
            if value == sah:
                yield Violation((field_id,), {"field": field_id, "value": value})


def _polls_close(ctx: RuleContext) -> datetime | None:
    zone = zone_of_provinsi(ctx.result.kode_tps.provinsi)
    if zone is None:
        return None
    return datetime.combine(ctx.election.tanggal, ctx.election.polls_close_local, tzinfo=zone)


def check_capture_before_close(ctx: RuleContext) -> Iterator[Violation]:
    close = _polls_close(ctx)
    if close is None:
        return
    for at in ctx.result.captured_at:
        if at < close:
            yield Violation((), {"captured_at": at.isoformat(), "polls_close": close.isoformat()})


def check_capture_before_receipt(ctx: RuleContext) -> Iterator[Violation]:
    received = ctx.result.received_at
    for at, got in zip(ctx.result.captured_at, received, strict=bool(received)):
        if at > got + CLOCK_SLACK:
            yield Violation((), {"captured_at": at.isoformat(), "received_at": got.isoformat()})


def _warning(rule_id: str, title: str, mid: str, men: str, exempt: str, *reads: str) -> Rule:
    return Rule(rule_id, Severity.WARNING, title, mid, men, reads, exempt)


PLAUSIBILITY_RULES = (
    TpsRule(
        _warning(
            "W-SUARA-DPT",
            "Votes cast stay within DPT + 2% reserve + DPTb + DPK",
            "Jumlah suara ({suara_total}) melebihi DPT + 2% + DPTb + DPK ({limit})",
            "Votes cast ({suara_total}) exceed DPT + 2% + DPTb + DPK ({limit})",
            "",
            "suara_total",
            "dpt_j",
            "pengguna_dptb_j",
            "pengguna_dpk_j",
        ),
        check_votes_within_register,
    ),
    TpsRule(
        _warning(
            "W-SUARA-PENGGUNA",
            "Votes cast equal the voters who came",
            "Jumlah suara ({suara_total}) kurang dari jumlah pengguna hak pilih ({pengguna_total})",
            "Votes cast ({suara_total}) are fewer than the voters who came ({pengguna_total})",
            "",
            "suara_total",
            "pengguna_total_j",
        ),
        check_total_equals_voters,
    ),
    TpsRule(
        _warning(
            "W-PENGGUNA-DPT",
            "Voters from the DPT do not exceed the DPT",
            "Pengguna DPT ({pengguna_dpt}) melebihi DPT ({dpt})",
            "Voters from the DPT ({pengguna_dpt}) exceed the DPT ({dpt})",
            "",
            "pengguna_dpt_j",
            "dpt_j",
        ),
        check_dpt_users_within_dpt,
    ),
    TpsRule(
        _warning(
            "W-TPS-300",
            "A TPS serves at most 300 voters",
            "{field} = {value} melebihi {limit} pemilih per TPS",
            "{field} = {value} exceeds {limit} voters per TPS",
            "Overseas POS and KSK units; noken regions.",
            *SIZE_FIELDS,
        ),
        check_tps_size,
    ),
    TpsRule(
        _warning(
            "W-CELL-500",
            "A domestic cell of 500–999 is near-impossible (a misread leading digit?)",
            "{field} = {value}: nilai 500–999 hampir mustahil di TPS dalam negeri",
            "{field} = {value}: 500–999 is near-impossible at a domestic TPS",
            "Overseas units; noken regions.",
            "*",
        ),
        check_near_impossible_cell,
    ),
    TpsRule(
        _warning(
            "W-SUARA-BULAT",
            "One paslon with every valid vote",
            "{field} memperoleh seluruh {value} suara sah",
            "{field} received all {value} valid votes",
            f"Noken regions; TPS with fewer than {UNANIMOUS_MINIMUM} valid votes.",
            "paslon_*",
        ),
        check_unanimous,
    ),
    TpsRule(
        _warning(
            "W-FOTO-DINI",
            "Photos are taken after polls closed",
            "Foto diambil {captured_at}, sebelum TPS ditutup ({polls_close})",
            "Photo taken at {captured_at}, before polls closed ({polls_close})",
            "Overseas units (each country votes on its own day and time).",
        ),
        check_capture_before_close,
    ),
    TpsRule(
        _warning(
            "W-FOTO-JAM",
            "A photo is taken before the server receives it",
            "Foto bertanggal {captured_at}, setelah diterima server ({received_at}): jam ponsel "
            "salah?",
            "Photo dated {captured_at}, after the server received it ({received_at}): a wrong "
            "phone clock?",
            "",
        ),
        check_capture_before_receipt,
    ),
)
