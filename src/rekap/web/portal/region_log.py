"""A region's changes as a person reads them: each change-log event about its TPS in words
(which TPS, what changed from what to what, who and why), with its log position and hash.

Pure: records and names in, lines out; the route reads the log and the accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rekap.domain.form import FormSpec
from rekap.events.chain import Recorded
from rekap.web.portal.i18n import Lang, Words, format_int, when

PAGE_SIZE = 50
HASH_SHOWN = 16
TPS_LENGTH = 13


@dataclass(frozen=True, slots=True)
class LogLine:
    sequence: int
    at: str
    kind: str
    kode_tps: str | None
    """The TPS the event is about (None for an event about the region, e.g. an enrolment)."""
    place: str
    """The TPS by number and desa ('TPS 003 LABIBIA'), or the code the event names."""
    what: str
    actor: str
    actor_name: str
    reason: str
    hash: str
    previous_hash: str

    @property
    def short_hash(self) -> str:
        return self.hash[:HASH_SHOWN]


@dataclass(frozen=True)
class LogPage:
    kode: str
    lines: tuple[LogLine, ...]
    older: int | None
    """The ``sebelum`` of the next (older) page, or None at the log's start."""
    newest: bool
    """True when the page starts at the newest event (no ``sebelum``)."""


Describe = Callable[[Mapping[str, Any], "Say"], str]


@dataclass(frozen=True)
class Say:
    """What describing an event needs: the words, numbers in the page's language, and the
    form's labels."""

    form: FormSpec
    lang: Lang

    @property
    def words(self) -> Words:
        return Words(self.lang)

    def num(self, value: object) -> str:
        return format_int(value if isinstance(value, int) else None, self.lang)

    def field(self, field_id: object) -> str:
        found = self.form.by_id.get(str(field_id))
        if found is None:
            return str(field_id)
        return found.label_id if self.lang == "id" else found.label_en

    def change(self, field_id: object, before: object, after: object) -> str:
        """One number's change: set where it had none, cleared where it has none now."""
        label = self.field(field_id)
        if before is None:
            return self.words("ev_value_set", field=label, after=self.num(after))
        if after is None:
            return self.words("ev_value_cleared", field=label, before=self.num(before))
        return self.words(
            "ev_value_changed", field=label, before=self.num(before), after=self.num(after)
        )

    def fields(self, ids: object) -> str:
        return ", ".join(self.field(i) for i in _items(ids)) or "—"

    def known(self, prefix: str, value: object) -> str:
        """``value`` in words when the portal has them (``photo_state_read``), else as is."""
        try:
            return self.words(f"{prefix}{value}")
        except KeyError:
            return str(value)


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _value_changed(p: Mapping[str, Any], say: Say) -> str:
    return say.change(p.get("field"), p.get("before"), p.get("after"))


def _imported(p: Mapping[str, Any], say: Say) -> str:
    values = p.get("values") or {}
    if not values:
        return say.words("ev_imported_empty", source=p.get("source", ""))
    return say.words("ev_imported", n=say.num(len(values)), source=p.get("source", ""))


def _source_changed(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_source_changed", before=p.get("before", ""), after=p.get("after", ""))


def _photos_changed(p: Mapping[str, Any], say: Say) -> str:
    before = sum(1 for a in _items(p.get("before")) if a)
    after = sum(1 for a in _items(p.get("after")) if a)
    return say.words(
        "ev_photos_changed",
        before=say.num(before),
        after=say.num(after),
        source=p.get("source", ""),
    )


def _photo_received(p: Mapping[str, Any], say: Say) -> str:
    sha = str(p.get("sha256", ""))[:HASH_SHOWN]
    return say.words("ev_photo_received", page=p.get("page"), sha=sha)


def _photo_state(p: Mapping[str, Any], say: Say) -> str:
    text = say.words(
        "ev_photo_state",
        photo=p.get("photo_id"),
        before=say.known("photo_state_", p.get("before")),
        after=say.known("photo_state_", p.get("after")),
    )
    detail = p.get("detail")
    return f"{text} ({detail})" if detail else text


def _assessed(p: Mapping[str, Any], say: Say) -> str:
    text = say.words("ev_form_assessed", state=say.known("form_state_", p.get("state")))
    reasons = "; ".join(str(r) for r in _items(p.get("reasons")))
    return f"{text}: {reasons}" if reasons else text


def _findings(p: Mapping[str, Any], say: Say) -> str:
    rules = ", ".join(str(r) for r in _items(p.get("rules")))
    return say.words("ev_findings", rules=rules) if rules else say.words("ev_findings_none")


def _entered(p: Mapping[str, Any], say: Say) -> str:
    said = say.words(
        "ev_entered",
        role=say.known("role_", p.get("role")),
        task=p.get("task_id"),
        sha=str(p.get("entry_sha256", ""))[:HASH_SHOWN],
    )
    if not _items(p.get("unreadable")):
        return said
    return said + "; " + say.words("ev_marked", fields=say.fields(p.get("unreadable")))


def _escalated(p: Mapping[str, Any], say: Say) -> str:
    rules = ", ".join(str(r) for r in _items(p.get("rules"))) or "—"
    return say.words(
        "ev_escalated", task=p.get("task_id"), fields=say.fields(p.get("fields")), rules=rules
    )


def _closed(p: Mapping[str, Any], say: Say) -> str:
    outcome = say.known("outcome_", p.get("outcome"))
    return say.words("ev_closed", task=p.get("task_id"), outcome=outcome)


def _revealed(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_revealed", task=p.get("task_id"), n=len(_items(p.get("entries"))))


def _unreadable(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_unreadable", page=p.get("page"), task=p.get("task_id"))


def _returned(p: Mapping[str, Any], say: Say) -> str:
    pages = ", ".join(str(n) for n in _items(p.get("pages"))) or "—"
    said = say.words("ev_returned", task=p.get("task_id"), pages=pages)
    if not _items(p.get("fields")):
        return said
    return said + "; " + say.words("ev_marked", fields=say.fields(p.get("fields")))


def _enrolled(p: Mapping[str, Any], say: Say) -> str:
    return say.words(
        "ev_enrolled",
        name=p.get("name", ""),
        role=say.known("role_", p.get("role")),
        scope=p.get("scope", ""),
    )


def _page_read(p: Mapping[str, Any], say: Say) -> str:
    return say.words(
        "ev_page_read",
        page=p.get("page"),
        sha=str(p.get("sha256", ""))[:HASH_SHOWN],
        n=say.num(len(p.get("values") or {})),
        abstained=say.num(len(_items(p.get("abstained")))),
    )


def _published(p: Mapping[str, Any], say: Say) -> str:
    sha = str(p.get("manifest_sha256", ""))[:HASH_SHOWN]
    return say.words("ev_published", snapshot=p.get("snapshot", ""), sha=sha)


def _device(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_device", device=p.get("device_id", ""), account=p.get("account_id", ""))


def _device_revoked(p: Mapping[str, Any], say: Say) -> str:
    return say.words(
        "ev_device_revoked",
        device=p.get("device_id", ""),
        account=p.get("account_id", ""),
        why=p.get("reason", ""),
    )


def _disabled(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_disabled", account=p.get("account_id", ""), why=p.get("reason", ""))


def _reissued(p: Mapping[str, Any], say: Say) -> str:
    return say.words("ev_reissued", account=p.get("account_id", ""))


DESCRIBE: Mapping[str, Describe] = {
    "result.value_changed": _value_changed,
    "result.imported": _imported,
    "result.source_changed": _source_changed,
    "result.photos_changed": _photos_changed,
    "photo.received": _photo_received,
    "photo.state_changed": _photo_state,
    "form.assessed": _assessed,
    "result.findings_recorded": _findings,
    "verification.entered": _entered,
    "verification.escalated": _escalated,
    "verification.closed": _closed,
    "verification.revealed": _revealed,
    "verification.photo_unreadable": _unreadable,
    "verification.returned": _returned,
    "account.enrolled": _enrolled,
    "page.read": _page_read,
    "snapshot.published": _published,
    "device.registered": _device,
    "device.revoked": _device_revoked,
    "account.disabled": _disabled,
    "account.token_reissued": _reissued,
}


def describe(record: Recorded, say: Say) -> str:
    """One event in words; a kind without words of its own is named with its payload."""
    found = DESCRIBE.get(record.kind)
    if found is not None:
        return found(record.payload, say)
    rest = ", ".join(f"{k}={v}" for k, v in record.payload.items() if k != "kode_tps")
    return f"{record.kind}: {rest}"[:300]


def place_of(kode: str, desa_names: Mapping[str, str]) -> str:
    """A TPS by its number and its desa's name; any other code as it is."""
    if len(kode) == TPS_LENGTH and kode.isdigit():
        return f"TPS {kode[10:]} {desa_names.get(kode[:10], kode[:10])}"
    return kode


def log_lines(
    records: Sequence[Recorded],
    names: Mapping[str, tuple[str, str]],
    desa_names: Mapping[str, str],
    say: Say,
) -> tuple[LogLine, ...]:
    lines = []
    for record in records:
        kode = record.payload.get("kode_tps")
        subject = str(kode) if kode is not None else None
        lines.append(
            LogLine(
                record.sequence,
                when(record.at),
                record.kind,
                subject,
                place_of(subject, desa_names) if subject else str(record.payload.get("scope", "")),
                describe(record, say),
                record.actor,
                names.get(record.actor, (record.actor, ""))[0],
                record.reason,
                record.hash,
                record.previous_hash,
            )
        )
    return tuple(lines)


def log_page(
    kode: str,
    records: Sequence[Recorded],
    names: Mapping[str, tuple[str, str]],
    desa_names: Mapping[str, str],
    say: Say,
    newest: bool,
) -> LogPage:
    """A page of ``records`` read newest first, one more than shown asked for: its presence
    says that older events exist."""
    shown = records[:PAGE_SIZE]
    older = shown[-1].sequence if len(records) > PAGE_SIZE else None
    return LogPage(kode, log_lines(shown, names, desa_names, say), older, newest)
