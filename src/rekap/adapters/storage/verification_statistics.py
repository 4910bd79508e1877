"""Per-verifier statistics, counted by the database: each verifier's entries, those that
disagree with the final numbers of their form, the time they took, the fields they could not
read, their skips and their reports of unreadable photos.

The database groups the entries by person (``GROUP BY``): no entry is read into Python. An
entry disagrees when its form is verified and a number it gives (a field marked "cannot read"
is none) differs from the form's, or the form has none for that field; the two stores say so
each in its own JSON functions (``_disagrees``). ``standings`` is what ordering every verifier
needs (entries and disagreements, with their names); ``statistics`` the full line of the
people asked for, or of everyone, each filter in every query.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    case,
    exists,
    func,
    literal_column,
    select,
    union,
)

from rekap.adapters.storage.forms import READ_STATES
from rekap.adapters.storage.json_text import as_text
from rekap.adapters.storage.schema import (
    account,
    form,
    photo,
    verification_entry,
    verification_report,
    verification_skip,
    verification_task,
)
from rekap.capture.access import Role
from rekap.capture.assess import FormState
from rekap.capture.states import PhotoState
from rekap.capture.verification import flagged

VERIFIER = Role.VERIFIER.value


@dataclass(frozen=True, slots=True)
class Standing:
    """What orders a verifier among the others: their name, their entries and how many of
    those disagree with the final numbers."""

    account_id: str
    name: str
    entries: int
    disagreed: int

    @property
    def flagged(self) -> bool:
        return flagged(self.entries, self.disagreed)


_DISAGREES = {
    # a number of the entry (not null) the form's values lack or differ on
    "sqlite": (
        'EXISTS (SELECT 1 FROM json_each(verification_entry."values") AS given '
        "WHERE given.type <> 'null' AND NOT EXISTS (SELECT 1 FROM json_each(form.\"values\") "
        "AS final WHERE final.key = given.key AND final.value = given.value))"
    ),
    # the form's values hold every number of the entry (its nulls taken out), each equal
    "postgresql": (
        'NOT (CAST(form."values" AS jsonb) '
        '@> jsonb_strip_nulls(CAST(verification_entry."values" AS jsonb)))'
    ),
}
_UNREAD = {  # the fields of the entry marked "cannot read" (null)
    "sqlite": (
        '(SELECT count(*) FROM json_each(verification_entry."values") AS given '
        "WHERE given.type = 'null')"
    ),
    "postgresql": (
        '(SELECT count(*) FROM json_each(verification_entry."values") AS given '
        "WHERE json_typeof(given.value) = 'null')"
    ),
}


def _disagrees(connection: Connection) -> Any:
    """1 for an entry that disagrees with the final numbers of its form, else 0. An entry
    stored as the very text of the form's values agrees without being parsed: the final
    numbers are the agreed entry's (or the adjudicator's), written alike, so most entries
    are decided by that comparison alone."""
    differs: Any = literal_column(_DISAGREES[connection.dialect.name])
    verified = form.c.state == FormState.VERIFIED.value
    written = as_text(verification_entry.c["values"]) != as_text(form.c["values"])
    return case((verified & written & differs, 1), else_=0)


def _unread(connection: Connection) -> Any:
    """The fields of an entry marked "cannot read": counted in its JSON only when its text
    holds a null at all."""
    count = literal_column(_UNREAD[connection.dialect.name], Integer)
    return case((as_text(verification_entry.c["values"]).contains("null"), count), else_=0)


def _entries(
    connection: Connection, accounts: Collection[str] | None, scope: str, *columns: Any
) -> Select[Any]:
    """The verifiers' entries of a task whose form is stored, with ``columns``: of
    ``accounts`` (None: everyone's), of those whose scope lies in ``scope``."""
    query = (
        select(verification_entry.c.account_id, *columns)
        .join(verification_task, verification_task.c.id == verification_entry.c.task_id)
        .join(
            form,
            (form.c.kode_tps == verification_task.c.kode_tps)
            & (form.c.contest == verification_task.c.contest),
        )
        .where(verification_entry.c.role == VERIFIER)
    )
    if accounts is not None:
        query = query.where(verification_entry.c.account_id.in_(sorted(accounts)))
    if scope:
        query = query.join(account, account.c.id == verification_entry.c.account_id).where(
            account.c.scope.startswith(scope, autoescape=True)
        )
    return query


def standings(connection: Connection, scope: str = "") -> list[Standing]:
    """Every verifier with an entry, a skip or a report, whose scope lies in ``scope`` (all:
    ""), by account id: their name, entries and disagreements."""
    counted = (
        _entries(
            connection,
            None,
            scope,
            func.count().label("entries"),
            func.sum(_disagrees(connection)).label("disagreed"),
        )
        .group_by(verification_entry.c.account_id)
        .subquery()
    )
    entered = select(account.c.id, account.c.name, counted.c.entries, counted.c.disagreed).join(
        counted, counted.c.account_id == account.c.id
    )
    acted = union(
        select(verification_skip.c.account_id), select(verification_report.c.account_id)
    ).subquery()
    others = (
        select(account.c.id, account.c.name)
        .join(acted, acted.c.account_id == account.c.id)
        .where(account.c.role == VERIFIER, account.c.scope.startswith(scope, autoescape=True))
    )
    found = {
        str(a): Standing(str(a), str(n), int(e), int(d or 0))
        for a, n, e, d in connection.execute(entered)
    }
    for a, n in connection.execute(others):
        found.setdefault(str(a), Standing(str(a), str(n), 0, 0))
    return [found[a] for a in sorted(found)]


def statistics(
    connection: Connection, accounts: Collection[str] | None = None
) -> list[dict[str, object]]:
    """The full line of each verifier of ``accounts`` (None: every verifier) who entered,
    skipped or reported a form, by account id: entries, disagreement with the final numbers,
    median seconds (the upper one of an even count), skips, forms whose photos they reported
    unreadable, photos they reported that others then read (entered the form from), and
    fields they marked "cannot read". The rate is rounded to 3 places; the flag is on the
    exact rate."""
    if accounts is not None and not accounts:
        return []
    counted = _entries(
        connection,
        accounts,
        "",
        func.count(),
        func.sum(_disagrees(connection)),
        func.sum(_unread(connection)),
    ).group_by(verification_entry.c.account_id)
    timed = _entries(connection, accounts, "", verification_entry.c.seconds).subquery()
    ranked = select(
        timed.c.account_id,
        timed.c.seconds,
        func.row_number()
        .over(partition_by=timed.c.account_id, order_by=timed.c.seconds)
        .label("place"),
        func.count().over(partition_by=timed.c.account_id).label("n"),
    ).subquery()
    medians = select(ranked.c.account_id, ranked.c.seconds).where(
        ranked.c.place == ranked.c.n // 2 + 1
    )
    skips = (
        select(verification_skip.c.account_id, func.count())
        .join(account, account.c.id == verification_skip.c.account_id)
        .where(account.c.role == VERIFIER)
        .group_by(verification_skip.c.account_id)
    )
    reports = (
        select(
            verification_report.c.account_id,
            func.count(func.distinct(verification_report.c.task_id)),
        )
        .join(account, account.c.id == verification_report.c.account_id)
        .where(account.c.role == VERIFIER)
        .group_by(verification_report.c.account_id)
    )
    newer = photo.alias("newer")
    read_by_others = (  # reported photos that others then entered the form from: the form
        # verified while the photo was still its page's newest (the one shown)
        select(verification_report.c.account_id, func.count())
        .join(photo, photo.c.id == verification_report.c.photo_id)
        .where(
            photo.c.state.in_((PhotoState.VERIFIED.value, PhotoState.PUBLISHED.value)),
            ~exists().where(
                newer.c.kode_tps == photo.c.kode_tps,
                newer.c.page == photo.c.page,
                newer.c.id > photo.c.id,
                newer.c.state.in_(READ_STATES),
            ),
        )
        .group_by(verification_report.c.account_id)
    )
    if accounts is not None:
        wanted = sorted(accounts)
        skips = skips.where(verification_skip.c.account_id.in_(wanted))
        reports = reports.where(verification_report.c.account_id.in_(wanted))
        read_by_others = read_by_others.where(verification_report.c.account_id.in_(wanted))
    entries = {
        str(a): (int(n), int(d or 0), int(u or 0)) for a, n, d, u in connection.execute(counted)
    }
    median = {str(a): float(s) for a, s in connection.execute(medians)}
    skipped = {str(a): int(n) for a, n in connection.execute(skips)}
    reported = {str(a): int(n) for a, n in connection.execute(reports)}
    contradicted = {str(a): int(n) for a, n in connection.execute(read_by_others)}
    result = []
    for account_id in sorted(entries.keys() | skipped.keys() | reported.keys()):
        count, disagreed, unread = entries.get(account_id, (0, 0, 0))
        rate = disagreed / count if count else 0.0
        result.append(
            {
                "account_id": account_id,
                "entries": count,
                "disagreed_with_final": disagreed,
                "disagreement_rate": round(rate, 3),
                "median_seconds": median.get(account_id),
                "skipped": skipped.get(account_id, 0),
                "reported_unreadable": reported.get(account_id, 0),
                "reports_read_by_others": contradicted.get(account_id, 0),
                "fields_unreadable": unread,
                "flagged": flagged(count, disagreed),
            }
        )
    return result
