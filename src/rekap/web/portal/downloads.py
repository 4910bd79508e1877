"""Every page as data: the same view models written as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import Request, Response

from rekap.domain.wilayah import Level
from rekap.web.portal.paslon import Paslon, Share
from rekap.web.portal.region_voters import DPT, VOTERS
from rekap.web.portal.regions import RegionLine, RegionPage, TpsLine
from rekap.web.portal.responses import compressed
from rekap.web.portal.tps_view import Change, TpsPage

COVERAGE_COLUMNS = (
    "tps_expected",
    "received",
    "read",
    "verified",
    "verified_by_people",
    "counted",
    "blocking",
)
TOTAL_COLUMNS = ("suara_sah", "suara_tidak_sah", "suara_total")
VOTER_COLUMNS = ("dpt", "pengguna_total", "turnout", "voters_tps")
VOTERS_NOTE = (
    "voters.dpt, voters.pengguna_total and voters.turnout are those of the voters.tps counted "
    "TPS that give both dpt_j and pengguna_total_j, not of every TPS of the region: a TPS's DPT "
    "is known only from its own form. A held TPS is in neither."
)
"""Said once in a region's JSON: a region's DPT read as the whole region's would make its
turnout look far lower than it is while few TPS are counted."""


def split_name(name: str) -> tuple[str, str]:
    """'3310.csv' -> ('3310', 'csv'); '3310' -> ('3310', 'html')."""
    for suffix in ("csv", "json"):
        if name.endswith(f".{suffix}"):
            return name[: -len(suffix) - 1], suffix
    return name, "html"


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 6)


def _turnout(values: Mapping[str, int]) -> float | None:
    dpt, voters = values.get(DPT), values.get(VOTERS)
    return None if not dpt or voters is None else round(voters / dpt, 6)


def _shares(items: Sequence[Share]) -> list[dict[str, Any]]:
    return [
        {
            "nomor_urut": s.paslon.nomor_urut,
            "nama": s.paslon.nama,
            "votes": s.votes,
            "share": _rounded(s.share),
            "held": s.held,
        }
        for s in items
    ]


def region_json(line: RegionLine) -> dict[str, Any]:
    return {
        "kode": line.kode,
        "nama": line.nama,
        "level": line.level.label,
        "coverage": {
            **line.coverage.as_dict(),
            "waiting": line.waiting,
            "counted_unlisted": line.voters.unlisted,
        },
        "voters": {
            "dpt": line.voters.dpt,
            "pengguna_total": line.voters.voters,
            "tps": line.voters.tps,
            "turnout": _rounded(line.voters.turnout),
        },
        "paslon": _shares(line.shares),
        "totals": dict(line.totals),
        "held_totals": dict(line.held_totals),
        "leader": None if line.leader is None else line.leader.nomor_urut,
    }


def tps_line_json(line: TpsLine) -> dict[str, Any]:
    return {
        "kode_tps": line.kode,
        "status": line.status.removeprefix("status_"),
        "source": line.source_kind,
        "values": dict(line.values),
        "blocking_findings": line.blocking,
        "warnings": line.warnings,
    }


def region_document(page: RegionPage) -> dict[str, Any]:
    return {
        "contest": "ppwp",
        "log_head": page.version,
        "notes": {"voters": VOTERS_NOTE},
        "region": region_json(page.own),
        "path": [{"kode": k, "nama": n} for k, n in page.path],
        "children": [region_json(c) for c in page.children],
        "tps": [tps_line_json(t) for t in page.tps],
    }


def region_rows(page: RegionPage, paslon: Sequence[Paslon]) -> Iterable[list[object]]:
    """One table, a row per region (the page's own, then its children) and, on a desa's
    page, per TPS (``level`` ``tps``). A region's vote columns sum its counted results only,
    its ``held_*`` columns the held ones, its ``dpt``, ``pengguna_total`` and ``turnout`` the
    ``voters_tps`` counted TPS that give both; a TPS's vote columns are its own numbers,
    whatever its ``status`` (``counted``, ``held``, …). Cells that do not apply are empty."""
    votes = [p.field_id for p in paslon]
    counted_columns = [*votes, *TOTAL_COLUMNS]
    held_columns = [f"held_{c}" for c in counted_columns]
    yield [
        "kode",
        "nama",
        "level",
        *COVERAGE_COLUMNS,
        "waiting",
        "counted_unlisted",
        *counted_columns,
        *VOTER_COLUMNS,
        *held_columns,
        "status",
        "source",
        "blocking_findings",
        "warnings",
    ]
    for line in (page.own, *page.children):
        cover = line.coverage.as_dict()
        counted = {s.paslon.field_id: s.votes for s in line.shares}
        held = {s.paslon.field_id: s.held for s in line.shares}
        yield [
            line.kode,
            line.nama,
            line.level.label,
            *(cover[c] for c in COVERAGE_COLUMNS),
            line.waiting,
            line.voters.unlisted,
            *(counted[v] for v in votes),
            *(line.totals[t] for t in TOTAL_COLUMNS),
            line.voters.dpt,
            line.voters.voters,
            _cell(_rounded(line.voters.turnout)),
            line.voters.tps,
            *(held[v] for v in votes),
            *(line.held_totals[t] for t in TOTAL_COLUMNS),
            *("" for _ in range(4)),
        ]
    for tps in page.tps:
        yield [
            tps.kode,
            f"TPS {tps.nomor:03d}",
            Level.TPS.label,  # as the region rows and every JSON name the level
            *("" for _ in (*COVERAGE_COLUMNS, "waiting", "counted_unlisted")),
            *(tps.values.get(v, "") for v in counted_columns),
            tps.values.get(DPT, ""),
            tps.values.get(VOTERS, ""),
            _cell(_turnout(tps.values)),
            "",
            *("" for _ in held_columns),
            tps.status.removeprefix("status_"),
            tps.source_kind or "",
            tps.blocking,
            tps.warnings,
        ]


def _cell(value: float | None) -> object:
    return "" if value is None else value


def _change(change: Change) -> dict[str, Any]:
    return {
        "sequence": change.sequence,
        "at": change.at,
        "actor": change.actor,
        "actor_name": change.actor_name,
        "kind": change.kind,
        "reason": change.reason,
        "field": change.field,
        "before": change.before,
        "after": change.after,
        "summary": change.summary,
    }


def tps_document(page: TpsPage) -> dict[str, Any]:
    return {
        "contest": "ppwp",
        "log_head": page.version,
        "kode_tps": page.kode,
        "status": page.status.removeprefix("status_"),
        "machine_hidden": page.machine_hidden,
        "fields": [
            {
                "id": v.field.id,
                "label_id": v.field.label_id,
                "label_en": v.field.label_en,
                "page": v.field.page,
                "value": v.value,
                "machine": v.machine,
                "machine_status": v.machine_status,
                "confidence": v.confidence,
                "crop_url": v.crop_url,
                "changes": [_change(c) for c in v.changes],
            }
            for v in page.fields
        ],
        "findings": [f.as_json() for f in page.findings],
        "photos": [
            {"id": p.id, "page": p.page, "state": p.state, "reason": p.reason, "sha256": p.sha256}
            for p in page.photos
        ],
        "external_photos": list(page.external_photos),
        "history": [_change(c) for c in page.history],
        "versions": [
            {
                "version": v.number,
                "first": v.first,
                "last": v.last,
                "at": v.records[0].at.isoformat(),
                "actor": v.records[0].actor,
                "reason": v.records[0].reason,
                "values": dict(v.values),
                "changes": [{"field": f, "before": b, "after": a} for f, b, a in v.changes],
            }
            for v in page.versions
        ],
    }


def tps_rows(page: TpsPage) -> Iterable[list[object]]:
    yield ["kode_tps", "field", "page", "value", "machine", "machine_status", "crop_url"]
    for v in page.fields:
        yield [
            page.kode,
            v.field.id,
            v.field.page,
            "" if v.value is None else v.value,
            "" if v.machine is None else v.machine,
            v.machine_status or "",
            v.crop_url or "",
        ]


def json_response(request: Request, document: Any, etag: str) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    return compressed(request, body, "application/json", headers=headers)


def csv_response(request: Request, rows: Iterable[list[object]], name: str, etag: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "Content-Disposition": f'attachment; filename="{name}.csv"',
    }
    return compressed(request, out.getvalue().encode(), "text/csv; charset=utf-8", headers=headers)
