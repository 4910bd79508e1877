"""Blocking rules: the arithmetic identities of the C.Hasil form (domain.md, 1–6).

A rule is evaluated only when every field it reads was recorded; missing fields are the
business of the reader and of verification, not of arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator

from rekap.domain.form import GENDERS, voter_field_id
from rekap.rules.finding import Severity
from rekap.rules.rule import Rule, RuleContext, TpsRule, Violation

MAX_CELL = 999
PENGGUNA_PARTS = ("pengguna_dpt", "pengguna_dptb", "pengguna_dpk")
GENDER_GROUPS = ("dpt", "pengguna_dpt", "pengguna_dptb", "pengguna_dpk", "pengguna_total")
PENGGUNA_BY_GENDER = tuple(
    (gender, tuple(voter_field_id(p, gender) for p in PENGGUNA_PARTS), f"pengguna_total_{gender}")
    for gender, _, _ in GENDERS
)
GENDER_TRIPLES = tuple(
    (group, tuple(voter_field_id(group, g) for g in ("l", "p", "j")))
    for group in (*GENDER_GROUPS, "disabilitas")
)


def check_range(ctx: RuleContext) -> Iterator[Violation]:
    for field_id, value in ctx.result.values.items():
        if not 0 <= value <= MAX_CELL:
            yield Violation((field_id,), {"field": field_id, "value": value})


def check_sum_sah(ctx: RuleContext) -> Iterator[Violation]:
    vote_ids = tuple(f.id for f in ctx.form.vote_fields)
    values = ctx.result.values
    if not vote_ids or any(v not in values for v in vote_ids) or "suara_sah" not in values:
        return
    total = sum(values[v] for v in vote_ids)
    if total != values["suara_sah"]:
        yield Violation(
            (*vote_ids, "suara_sah"),
            {"sum_paslon": total, "suara_sah": values["suara_sah"]},
        )


def check_sum_total(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    present = "suara_sah" in v and "suara_tidak_sah" in v and "suara_total" in v
    if present and v["suara_sah"] + v["suara_tidak_sah"] != v["suara_total"]:
        yield Violation(
            ("suara_sah", "suara_tidak_sah", "suara_total"),
            {
                "suara_sah": v["suara_sah"],
                "suara_tidak_sah": v["suara_tidak_sah"],
                "suara_total": v["suara_total"],
            },
        )


def check_pengguna_sum(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    for gender, parts, total_id in PENGGUNA_BY_GENDER:
        if all(p in v for p in parts) and total_id in v:
            total = sum(v[p] for p in parts)
            if total != v[total_id]:
                yield Violation(
                    (*parts, total_id),
                    {"gender": gender.upper(), "sum_parts": total, "pengguna_total": v[total_id]},
                )


def check_gender_sum(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    for group, ids in GENDER_TRIPLES:
        if ids[0] in v and ids[1] in v and ids[2] in v and v[ids[0]] + v[ids[1]] != v[ids[2]]:
            yield Violation(ids, {"group": group, "l": v[ids[0]], "p": v[ids[1]], "j": v[ids[2]]})


def check_total_within_voters(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    if "suara_total" in v and "pengguna_total_j" in v and v["suara_total"] > v["pengguna_total_j"]:
        yield Violation(
            ("suara_total", "pengguna_total_j"),
            {"suara_total": v["suara_total"], "pengguna_total": v["pengguna_total_j"]},
        )


def check_ballot_sum(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    ids = ("surat_suara_digunakan", "surat_suara_tidak_digunakan", "surat_suara_rusak")
    if "surat_suara_diterima" in v and all(i in v for i in ids):
        parts = sum(v[i] for i in ids)
        if parts != v["surat_suara_diterima"]:
            yield Violation(
                ("surat_suara_diterima", *ids),
                {"diterima": v["surat_suara_diterima"], "sum_parts": parts},
            )


def check_ballots_used(ctx: RuleContext) -> Iterator[Violation]:
    v = ctx.result.values
    present = "surat_suara_digunakan" in v and "suara_total" in v
    if present and v["surat_suara_digunakan"] != v["suara_total"]:
        yield Violation(
            ("surat_suara_digunakan", "suara_total"),
            {"digunakan": v["surat_suara_digunakan"], "suara_total": v["suara_total"]},
        )


def _blocking(rule_id: str, title: str, message_id: str, message_en: str, *reads: str) -> Rule:
    return Rule(rule_id, Severity.BLOCKING, title, message_id, message_en, reads)


IDENTITY_RULES = (
    TpsRule(
        _blocking(
            "F-RANGE",
            "Every number fits the form's three digit boxes (0–999)",
            "Nilai {field} = {value} di luar rentang 0–999",
            "{field} = {value} is outside 0–999",
            "*",
        ),
        check_range,
    ),
    TpsRule(
        _blocking(
            "F-SUM-SAH",
            "The paslon votes add up to suara sah",
            "Jumlah suara paslon ({sum_paslon}) tidak sama dengan suara sah ({suara_sah})",
            "Votes per paslon add up to {sum_paslon}, but suara sah is {suara_sah}",
            "paslon_*",
            "suara_sah",
        ),
        check_sum_sah,
    ),
    TpsRule(
        _blocking(
            "F-SUM-TOTAL",
            "Suara sah plus suara tidak sah equals the total",
            "Suara sah ({suara_sah}) + tidak sah ({suara_tidak_sah}) ≠ jumlah ({suara_total})",
            "suara sah {suara_sah} + tidak sah {suara_tidak_sah} ≠ total {suara_total}",
            "suara_sah",
            "suara_tidak_sah",
            "suara_total",
        ),
        check_sum_total,
    ),
    TpsRule(
        _blocking(
            "F-PENGGUNA-SUM",
            "Voters from DPT, DPTb and DPK add up to the total voters (L, P and J)",
            "Pengguna DPT + DPTb + DPK ({sum_parts}) ≠ jumlah pengguna ({pengguna_total}) {gender}",
            "Voters DPT + DPTb + DPK = {sum_parts} but total voters = {pengguna_total} ({gender})",
            "pengguna_dpt_*",
            "pengguna_dptb_*",
            "pengguna_dpk_*",
            "pengguna_total_*",
        ),
        check_pengguna_sum,
    ),
    TpsRule(
        _blocking(
            "F-GENDER-SUM",
            "Men plus women equals the total in every voter group",
            "{group}: L ({l}) + P ({p}) ≠ J ({j})",
            "{group}: men {l} + women {p} ≠ total {j}",
            "*_l",
            "*_p",
            "*_j",
        ),
        check_gender_sum,
    ),
    TpsRule(
        _blocking(
            "F-SUARA-PENGGUNA",
            "Votes cast do not exceed the voters who came",
            "Jumlah suara ({suara_total}) melebihi jumlah pengguna hak pilih ({pengguna_total})",
            "Votes cast ({suara_total}) exceed the voters who came ({pengguna_total})",
            "suara_total",
            "pengguna_total_j",
        ),
        check_total_within_voters,
    ),
    TpsRule(
        _blocking(
            "F-SURAT-SUARA-SUM",
            "Ballots received equal ballots used, unused and damaged",
            "Surat suara diterima ({diterima}) ≠ digunakan + tidak digunakan + rusak ({sum_parts})",
            "Ballots received ({diterima}) ≠ used + unused + damaged ({sum_parts})",
            "surat_suara_diterima",
            "surat_suara_digunakan",
            "surat_suara_tidak_digunakan",
            "surat_suara_rusak",
        ),
        check_ballot_sum,
    ),
    TpsRule(
        _blocking(
            "F-SURAT-SUARA-DIGUNAKAN",
            "Ballots used equal votes cast",
            "Surat suara digunakan ({digunakan}) ≠ jumlah suara ({suara_total})",
            "Ballots used ({digunakan}) ≠ votes cast ({suara_total})",
            "surat_suara_digunakan",
            "suara_total",
        ),
        check_ballots_used,
    ),
)
