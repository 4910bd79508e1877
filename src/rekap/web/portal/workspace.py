"""The verifier's task page as data: each number's crop and input, in the form's order.

A verifier sees the crops and nothing else (double-blind: neither the machine's reading nor
another person's entry). An adjudicator also sees the two entries and the reading, with the
numbers the entries agree on filled in and the disagreements left for them to decide. Beside
each number a box answers "cannot read" (Tidak terbaca) instead; an entry's marks show as
such on the adjudicator's page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from rekap.adapters.storage.verification import Task
from rekap.capture.verification import DIFFER, UNREAD
from rekap.domain.election import Election
from rekap.domain.form import FormField, FormSpec
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.rules.finding import Finding
from rekap.rules.registry import check_tps
from rekap.web.portal.i18n import Words, clock
from rekap.web.portal.queries import EntryRow


@dataclass(frozen=True, slots=True)
class EntryField:
    field: FormField
    crop_url: str | None
    value: str
    """What the input shows: the person's own text after an error, or an agreed number."""
    error: str | None
    entries: tuple[int | None, ...]
    machine: int | None
    unreadable: bool = False
    """The person's box "cannot read" is ticked (kept when the form comes back)."""
    entry_marks: tuple[bool, ...] = ()
    """Per entry shown to an adjudicator, whether that person marked it "cannot read"."""

    @property
    def disputed(self) -> bool:
        known = {e for e in self.entries if e is not None}
        return len(known) > 1 or (bool(self.entries) and None in self.entries)


@dataclass(frozen=True)
class TaskView:
    task: Task
    fields: tuple[EntryField, ...]
    adjudication: bool
    entry_names: tuple[str, ...]
    photo_of_page: dict[int, int]

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(sorted({f.field.page for f in self.fields}))

    @property
    def held_until(self) -> str | None:
        """When the person's hold lapses, on the clock of the TPS's region."""
        held = self.task.held_until
        return None if held is None else clock(held, self.task.kode_tps, date=False)


def crop_photos(task: Task) -> dict[int, int]:
    """The newest photo of each page of the task (photos come ordered by page, then id)."""
    return {page: photo_id for photo_id, page in task.photos}


def task_view(
    task: Task,
    form: FormSpec,
    typed: Mapping[str, str],
    errors: Mapping[str, str],
    adjudication: bool = False,
    entries: Sequence[EntryRow] = (),
    machine: Mapping[str, int] | None = None,
    names: Sequence[str] = (),
    ticked: Collection[str] = (),
    marks: Sequence[Collection[str]] = (),
) -> TaskView:
    """``ticked``: the fields whose "cannot read" box the person ticked (a form shown again);
    ``marks``: per entry (in ``entries``' order), the fields that person marked."""
    photos = crop_photos(task)
    fields = []
    for field in form.fields:
        photo_id = photos.get(field.page)
        seen = tuple(e.values.get(field.id) for e in entries) if adjudication else ()
        marked = tuple(field.id in m for m in marks) if adjudication else ()
        agreed = seen[0] if seen and len(set(seen)) == 1 and seen[0] is not None else None
        default = "" if agreed is None else str(agreed)
        fields.append(
            EntryField(
                field,
                f"/foto/{photo_id}/{field.id}.jpg" if photo_id is not None else None,
                typed.get(field.id, default),
                errors.get(field.id),
                seen,
                (machine or {}).get(field.id) if adjudication else None,
                field.id in ticked,
                marked,
            )
        )
    names_shown = tuple(names) if adjudication else ()
    return TaskView(task, tuple(fields), adjudication, names_shown, photos)


def parse_entry(
    form: FormSpec, raw: Mapping[str, str], ticked: Collection[str] = ()
) -> tuple[dict[str, int], list[str], dict[str, str]]:
    """Every field must be a whole number 0–999 or ticked "cannot read" (``ticked``), not
    both; returns the values, the fields ticked and the errors by field."""
    values: dict[str, int] = {}
    unreadable: list[str] = []
    errors: dict[str, str] = {}
    for field in form.fields:
        text = raw.get(field.id, "").strip()
        if field.id in ticked:
            if text:
                errors[field.id] = "entry_both"
            else:
                unreadable.append(field.id)
        elif not text:
            errors[field.id] = "entry_missing"
        elif not (text.isascii() and text.isdigit()) or int(text) > 999:
            errors[field.id] = "entry_invalid"
        else:
            values[field.id] = int(text)
    return values, unreadable, errors


def reasons_in_words(
    reasons: Sequence[str],
    entries: Sequence[EntryRow],
    form: FormSpec,
    election: Election,
    kode_tps: str,
    contest: str,
    say: Words,
) -> tuple[str, ...]:
    """Why a form went to the adjudicator, in the page's language: each number the two
    entries differ on, or neither could read, by its label; each rule their agreed numbers
    break, by its message over those numbers. The store keeps the reasons as short English
    texts (``capture.verification``); one it does not know is shown as stored."""
    found = _broken(entries, form, election, kode_tps, contest)
    out: list[str] = []
    for reason in reasons:
        field = reason.removesuffix(DIFFER).removesuffix(UNREAD)
        if field != reason and field in form.by_id:
            key = "reason_differ" if reason.endswith(DIFFER) else "reason_unread"
            label = form.by_id[field]
            out.append(say(key, field=label.label_id if say.lang == "id" else label.label_en))
            continue
        rule = reason.partition(":")[0]
        messages = [f.message if say.lang == "id" else f.message_en for f in found.get(rule, ())]
        out.extend(messages or [reason])
    return tuple(dict.fromkeys(out))


def _broken(
    entries: Sequence[EntryRow], form: FormSpec, election: Election, kode_tps: str, contest: str
) -> dict[str, list[Finding]]:
    """The blocking findings of the numbers every entry agrees on (none when they differ,
    when a number is missing, or the code is not a TPS's)."""
    if not entries or any(e.values != entries[0].values for e in entries):
        return {}
    values = entries[0].values
    if any(values.get(f.id) is None for f in form.fields):
        return {}
    try:
        code = KodeWilayah.parse(kode_tps)
    except InvalidKodeWilayah:
        return {}
    found: dict[str, list[Finding]] = {}
    for finding in check_tps(TpsResult(code, contest, dict(values)), form, election):
        if finding.blocking:
            found.setdefault(finding.rule, []).append(finding)
    return found
