"""The anomaly page's view model: TPS with blocking findings and warnings, by rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rekap.rules.finding import Finding
from rekap.rules.registry import ALL_RULES
from rekap.web.portal.live import LiveData
from rekap.web.portal.tps_view import machine_hidden

RULE_TITLES_ID = {
    "F-RANGE": "Setiap angka muat dalam tiga kotak digit formulir (0–999)",
    "F-SUM-SAH": "Jumlah suara paslon sama dengan suara sah",
    "F-SUM-TOTAL": "Suara sah ditambah suara tidak sah sama dengan jumlah suara",
    "F-PENGGUNA-SUM": "Pengguna DPT, DPTb dan DPK berjumlah sama dengan total pengguna (L, P, J)",
    "F-GENDER-SUM": "Laki-laki ditambah perempuan sama dengan jumlah di setiap kelompok pemilih",
    "F-SUARA-PENGGUNA": "Jumlah suara tidak melebihi pemilih yang datang",
    "F-SUARA-LENGKAP": "Setiap angka suara tercatat: tiap paslon, suara sah, tidak sah, jumlah",
    "F-SURAT-SUARA-SUM": "Surat suara diterima = digunakan + tidak digunakan + rusak",
    "F-SURAT-SUARA-DIGUNAKAN": "Surat suara digunakan sama dengan jumlah suara",
    "W-SUARA-DPT": "Jumlah suara tidak melebihi DPT + cadangan 2% + DPTb + DPK",
    "W-SUARA-PENGGUNA": "Jumlah suara sama dengan pemilih yang datang",
    "W-PENGGUNA-DPT": "Pengguna DPT tidak melebihi DPT",
    "W-TPS-300": "Satu TPS melayani paling banyak 300 pemilih",
    "W-CELL-500": "Nilai 500–999 di TPS dalam negeri hampir mustahil (digit depan salah baca?)",
    "W-SUARA-BULAT": "Satu paslon memperoleh seluruh suara sah",
    "W-FOTO-DINI": "Foto diambil setelah TPS ditutup",
    "W-FOTO-JAM": "Foto diambil sebelum diterima server",
    "W-PARTISIPASI-DESA": "Partisipasi jauh dari TPS lain di desa yang sama",
    "W-FOTO-GANDA": "Foto yang sama diunggah untuk dua TPS",
}
TITLES_EN = {rule.id: rule.title for rule in ALL_RULES}
ORDER = {rule.id: i for i, rule in enumerate(ALL_RULES)}


def rule_title(rule: str, lang: str) -> str:
    table = RULE_TITLES_ID if lang == "id" else TITLES_EN
    return table.get(rule, TITLES_EN.get(rule, rule))


@dataclass(frozen=True, slots=True)
class AnomalyLine:
    """One TPS under one rule, with every finding of that rule there (e.g. one per gender)."""

    kode_tps: str
    findings: tuple[Finding, ...]
    on_reading: bool
    status: str


@dataclass(frozen=True)
class RuleGroup:
    rule: str
    blocking: bool
    lines: tuple[AnomalyLine, ...]


def anomaly_groups(live: LiveData, prefix: str = "", rule: str | None = None) -> list[RuleGroup]:
    """Every rule that fired in the region ``prefix``, blocking first, in registry order."""
    groups = []
    for rule_id, items in live.by_rule.items():
        if rule is not None and rule_id != rule:
            continue
        lines = tuple(_lines(live, items, prefix))
        if lines:
            groups.append(RuleGroup(rule_id, lines[0].findings[0].blocking, lines))
    groups.sort(key=lambda g: (not g.blocking, ORDER.get(g.rule, 99), g.rule))
    return groups


def _lines(
    live: LiveData, items: Iterable[tuple[str, Finding]], prefix: str
) -> Iterable[AnomalyLine]:
    by_tps: dict[str, list[Finding]] = {}
    for kode, found in items:
        if kode.startswith(prefix):
            by_tps.setdefault(kode, []).append(found)
    for kode, found_here in by_tps.items():
        facts = live.tps[kode]
        if machine_hidden(facts):  # entered blind now: its findings speak of the reading
            continue
        yield AnomalyLine(kode, tuple(found_here), facts.findings_on_reading, facts.status)
