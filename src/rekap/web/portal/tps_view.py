"""The TPS page's view model: photos, every number beside its crop, findings and history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from rekap.domain.form import FormField, FormSpec
from rekap.events.chain import Recorded
from rekap.rules.finding import Finding
from rekap.web.portal.i18n import when
from rekap.web.portal.live import WAITING_FORM_STATES, TpsFacts
from rekap.web.portal.queries import PhotoRow
from rekap.web.portal.tps_versions import NumberVersion

WEB_SCHEMES = ("https://", "http://")
READ_STATES = ("checked", "accepted", "needs_verification", "verified", "published")


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a number (or to the TPS): who, when, why, before and after."""

    sequence: int
    at: str
    actor: str
    actor_name: str
    kind: str
    reason: str
    field: str | None
    before: int | None
    after: int | None
    summary: str


@dataclass(frozen=True, slots=True)
class FieldView:
    field: FormField
    crop_url: str | None
    photo_id: int | None
    machine: int | None
    machine_status: str | None
    confidence: float | None
    machine_reason: str
    value: int | None
    changes: tuple[Change, ...]
    alone: int | None = None
    alone_status: str | None = None
    """The photo's own reading, where deciding the form's pages together changed it."""

    @property
    def differs(self) -> bool:
        return self.machine is not None and self.value is not None and self.machine != self.value


@dataclass(frozen=True)
class TpsPage:
    kode: str
    nomor: int
    path: tuple[tuple[str, str], ...]
    facts: TpsFacts | None
    photos: tuple[PhotoRow, ...]
    fields: tuple[FieldView, ...]
    findings: tuple[Finding, ...]
    history: tuple[Change, ...]
    machine_hidden: bool
    open_task: int | None
    version: int
    records: tuple[Recorded, ...] = ()
    """The TPS's change-log records, in log order."""
    versions: tuple[NumberVersion, ...] = ()
    names: Mapping[str, tuple[str, str]] = dataclass_field(default_factory=dict)
    """Who made the records, by account id, as `account_names` gives them (read once a page)."""

    @property
    def status(self) -> str:
        return self.facts.status if self.facts is not None else "status_none"

    @property
    def external_photos(self) -> tuple[str | None, ...]:
        if self.facts is None or self.facts.result is None:
            return ()
        return self.facts.result.external_photos

    @property
    def external_links(self) -> tuple[tuple[int, str], ...]:
        """The imported photo addresses a page may link, each with its page: http(s) only
        (an imported 'javascript:' or 'data:' address is data to show in the JSON, never a
        link)."""
        return tuple(
            (page, u)
            for page, u in enumerate(self.external_photos, start=1)
            if u is not None and u.lower().startswith(WEB_SCHEMES)
        )


def _change(
    record: Recorded,
    names: Mapping[str, tuple[str, str]],
    field: str | None = None,
    before: int | None = None,
    after: int | None = None,
    summary: str = "",
) -> Change:
    name = names.get(record.actor, (record.actor, ""))[0]
    return Change(
        record.sequence,
        when(record.at),
        record.actor,
        name,
        record.kind,
        record.reason,
        field,
        before,
        after,
        summary,
    )


def history_rows(records: Sequence[Recorded], names: Mapping[str, tuple[str, str]]) -> list[Change]:
    """One row per event of the TPS, in log order."""
    out = []
    for record in records:
        payload = record.payload
        if record.kind == "result.value_changed":
            field, before, after = payload.get("field"), payload.get("before"), payload.get("after")
            out.append(_change(record, names, field, before, after))
        else:
            out.append(_change(record, names, summary=_summary(record.kind, payload)))
    return out


def field_changes(
    records: Sequence[Recorded], names: Mapping[str, tuple[str, str]]
) -> list[Change]:
    """Every change of every number: an import sets each of its numbers, a value change
    moves one from before to after."""
    out = []
    for record in records:
        payload = record.payload
        if record.kind == "result.value_changed":
            field, before, after = payload.get("field"), payload.get("before"), payload.get("after")
            out.append(_change(record, names, field, before, after))
        elif record.kind == "result.imported":
            values: Mapping[str, Any] = payload.get("values", {})
            out.extend(_change(record, names, f, None, int(v)) for f, v in sorted(values.items()))
    return out


def _summary(kind: str, payload: Mapping[str, Any]) -> str:
    if kind == "result.imported":
        return f"{len(payload.get('values', {}))} values from {payload.get('source', '')}"
    if kind == "photo.received":
        return f"page {payload.get('page')} sha256 {str(payload.get('sha256', ''))[:12]}…"
    if kind == "photo.state_changed":
        detail = payload.get("detail") or ""
        return (
            f"photo {payload.get('photo_id')}: {payload.get('before')} → {payload.get('after')}"
            + (f" ({detail})" if detail else "")
        )
    if kind == "form.assessed":
        return f"{payload.get('state')}: " + "; ".join(payload.get("reasons", []))
    if kind == "verification.entered":
        return (
            f"task {payload.get('task_id')} ({payload.get('role')}), sha256 "
            + str(payload.get("entry_sha256", ""))[:12]
        )
    if kind == "verification.closed":
        return f"task {payload.get('task_id')}: {payload.get('outcome')}"
    return ", ".join(f"{k}={v}" for k, v in payload.items() if k != "kode_tps")[:300]


def page_photos(photos: Sequence[PhotoRow]) -> dict[int, PhotoRow]:
    """The newest read photo of each page: the one the form's numbers came from."""
    chosen: dict[int, PhotoRow] = {}
    for item in photos:
        if item.state in READ_STATES and item.reading:
            chosen[item.page] = item
    return chosen


def field_views(
    form: FormSpec,
    photos: Sequence[PhotoRow],
    values: Mapping[str, int],
    changes: Sequence[Change],
    hide_machine: bool,
    machine: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[FieldView, ...]:
    """Every number beside its crop. The machine's reading is the form's decision (its pages
    decided together, as the form was assessed) where the form keeps one, else the newest
    read photo's own reading."""
    chosen = page_photos(photos)
    by_id = {p.id: p for p in photos}
    out = []
    for field in form.fields:
        decided = (machine or {}).get(field.id)
        source = chosen.get(field.page)
        if decided is not None and decided.get("photo") in by_id:
            source = by_id[decided["photo"]]
        read: Mapping[str, Any] = decided or {}
        if decided is None and source is not None and source.reading is not None:
            read = source.reading.get("fields", {}).get(field.id, {})
        shown = not hide_machine and bool(read)
        alone: Mapping[str, Any] = (read.get("alone") or {}) if shown else {}
        out.append(
            FieldView(
                field,
                f"/foto/{source.id}/{field.id}.jpg" if source is not None else None,
                source.id if source is not None else None,
                read.get("value") if shown else None,
                read.get("status") if shown else None,
                read.get("confidence") if shown else None,
                str(read.get("reason", "")) if shown else "",
                values.get(field.id),
                tuple(c for c in changes if c.field == field.id),
                alone.get("value"),
                alone.get("status"),
            )
        )
    return tuple(out)


def machine_hidden(facts: TpsFacts | None) -> bool:
    """While two people enter a form blind, the public page does not show the machine's
    reading either (a verifier could otherwise copy it from here)."""
    return facts is not None and facts.form is not None and facts.form.state in WAITING_FORM_STATES
