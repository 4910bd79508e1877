"""The anomaly page: TPS with blocking findings and warnings, by rule (HTML, CSV, JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from rekap.web.access import PUBLIC
from rekap.web.portal.anomalies import RuleGroup, anomaly_groups, rule_title
from rekap.web.portal.downloads import csv_response, json_response, split_name
from rekap.web.portal.page_errors import PageNotFound
from rekap.web.portal.rendering import page_etag, render, request_lang, words_of
from rekap.web.portal.responses import not_modified
from rekap.web.portal.state import Portal, portal_of

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Prefix = Annotated[str, Query(pattern=r"^[0-9]{0,10}$")]
RuleId = Annotated[str | None, Query(pattern=r"^[A-Z0-9-]{1,32}$")]
SHOWN = 25


def _document(groups: list[RuleGroup], prefix: str, version: int) -> dict[str, object]:
    return {
        "contest": "ppwp",
        "log_head": version,
        "wilayah": prefix,
        "rules": [
            {
                "rule": g.rule,
                "severity": "blocking" if g.blocking else "warning",
                "title": rule_title(g.rule, "en"),
                "tps": [
                    {
                        "kode_tps": line.kode_tps,
                        "status": line.status.removeprefix("status_"),
                        "on_machine_reading": line.on_reading,
                        "findings": [f.as_json() for f in line.findings],
                    }
                    for line in g.lines
                ],
            }
            for g in groups
        ],
    }


def _rows(groups: list[RuleGroup]) -> list[list[object]]:
    rows: list[list[object]] = [["rule", "severity", "kode_tps", "status", "message"]]
    for g in groups:
        for line in g.lines:
            status = line.status.removeprefix("status_")
            for found in line.findings:
                rows.append([g.rule, found.severity.value, line.kode_tps, status, found.message_en])
    return rows


def _show(request: Request, portal: Portal, form: str, prefix: str, rule: str | None) -> Response:
    live = portal.live()
    etag = page_etag(request, f"{live.version}:{form}")
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    if prefix and prefix not in portal.context.tree.regions:
        raise PageNotFound(prefix)
    groups = anomaly_groups(live, prefix, rule)
    if form == "json":
        return json_response(request, _document(groups, prefix, live.head), etag)
    if form == "csv":
        return csv_response(request, _rows(groups), f"rekap-anomali-{prefix or 'nasional'}", etag)
    lang = request_lang(request)
    tree = portal.context.tree
    region = tree.regions[prefix]

    def tps_name(kode: str) -> str:
        """'TPS 008 BALARAJA': a link one can read aloud, not thirteen digits."""
        desa = tree.regions.get(kode[:10])
        return f"TPS {kode[10:]} {desa.nama}" if desa is not None else f"TPS {kode}"

    context = {
        "tps_name": tps_name,
        "title": " ".join((words_of(request)("anomalies"), region.nama if prefix else "")).strip(),
        "groups": groups,
        "region": region,
        "prefix": prefix,
        "rule": rule,
        "shown": None if rule else SHOWN,
        "rule_title": lambda r: rule_title(r, lang),
        "version": live.head,
    }
    return render(request, "anomalies.html", context, etag=etag)


@router.get("/anomali")
def anomalies(
    request: Request, portal: PortalDep, wilayah: Prefix = "", aturan: RuleId = None
) -> Response:
    return _show(request, portal, "html", wilayah, aturan)


@router.get("/anomali.{form}")
def anomalies_data(
    form: str, request: Request, portal: PortalDep, wilayah: Prefix = "", aturan: RuleId = None
) -> Response:
    _, kind = split_name(f"x.{form}")
    if kind == "html":
        raise PageNotFound(form)
    return _show(request, portal, kind, wilayah, aturan)
