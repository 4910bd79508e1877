"""`rekap admin`: enrol accounts, list them, disable one, give one a new token, revoke a
device's key. Every change is an event in the public log, by the actor ``cli``."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rekap.capture.access import Role, reason_problem
from rekap.cli.db import DatabaseOption, open_store
from rekap.web.context import utc_now

if TYPE_CHECKING:
    from rekap.adapters.storage.accounts import AccountEntry, AccountStore
    from rekap.capture.access import Principal

console = Console(stderr=True)
admin_app = typer.Typer(help="Administer accounts.", no_args_is_help=True)


def _reason(value: str) -> str:
    problem = reason_problem(value)
    if problem is not None:
        raise typer.BadParameter(problem)
    return value


ReasonOption = Annotated[
    str, typer.Option(help="Why, in a few words (public, in the log).", callback=_reason)
]


def _accounts(db: str | None) -> AccountStore:
    from rekap.adapters.storage.accounts import AccountStore
    from rekap.adapters.storage.event_store import EventLog

    store = open_store(db)
    return AccountStore(store.engine, EventLog(store.engine))


def _refuse(error: Exception) -> typer.Exit:
    console.print(f"[red]{error}[/]")
    return typer.Exit(2)


def _known_region(scope: str) -> None:
    """A scope names a region of the 2024 tree (an officer's, a TPS): an officer enrolled for
    a TPS that is not there could upload nothing (the API refuses such a TPS too)."""
    from rekap.data import region_tree
    from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah

    try:
        kode = KodeWilayah.parse(scope)
    except InvalidKodeWilayah as error:
        raise _refuse(error) from error
    if kode not in region_tree():
        raise _refuse(ValueError(f"no region {scope} in the 2024 region tree"))


@admin_app.command("create")
def create_admin(
    name: Annotated[str, typer.Argument(help="Who holds this account.")],
    role: Annotated[
        Role, typer.Option(help="admin, verifier, adjudicator or officer.")
    ] = Role.ADMIN,
    scope: Annotated[str, typer.Option(help="Region code prefix ('' for all).")] = "",
    db: DatabaseOption = None,
) -> None:
    """Create an account and print its bearer token (shown once)."""
    from rekap.adapters.storage.accounts import InvalidAccount

    if scope:
        _known_region(scope)
    try:
        principal, token = _accounts(db).enrol(name, role, scope, utc_now(), "cli")
    except InvalidAccount as error:
        raise _refuse(error) from error
    typer.echo(json.dumps({"account_id": principal.account_id, "role": role.value, "token": token}))


@admin_app.command("import")
def import_accounts(
    accounts: Annotated[
        Path, typer.Argument(help="CSV file with a header naming name, role and scope.")
    ],
    tokens: Annotated[
        Path,
        typer.Option(help="New CSV file for the new accounts' tokens (made readable by you only)."),
    ],
    db: DatabaseOption = None,
) -> None:
    """Enrol many accounts at once (a kabupaten's KPPS officers, say): one per row of a CSV
    file with the columns name, role (officer, verifier, adjudicator, admin) and scope (an
    officer's 13-digit TPS code, a verifier's region code). The whole file is checked first:
    any problem, each named with its line, and nothing is enrolled (exit 2). A row whose
    account exists already (enabled, same name, role and scope) is left as it is, so a file
    can be imported again after an interruption. The new accounts' tokens (shown once) are
    written to --tokens, which must not exist yet, before the accounts are committed."""
    from rekap.capture.enrolment import read_enrolment

    try:
        text = accounts.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _refuse(ValueError(f"{accounts}: cannot be read as UTF-8 text ({error})")) from error
    if tokens.exists():
        raise _refuse(FileExistsError(f"{tokens} exists already: tokens are never overwritten"))
    enrolment = read_enrolment(text, _in_tree())
    if enrolment.problems:
        for problem in enrolment.problems[:_SHOWN]:
            console.print(Text(f"{accounts}: {problem}"))
        more = len(enrolment.problems) - _SHOWN
        if more > 0:
            console.print(f"… and {more} more problem(s).")
        console.print("[red]Nothing was enrolled.[/]")
        raise typer.Exit(2)
    written: list[Path] = []

    def keep(new: list[tuple[Principal, str]]) -> None:
        _write_tokens(tokens, new)
        written.append(tokens)

    try:
        made, kept = _accounts(db).enrol_many(enrolment.wanted, utc_now(), "cli", keep)
    except BaseException:
        for path in written:  # the accounts were not committed: their tokens name none
            path.unlink(missing_ok=True)
        raise
    where = f", their tokens in {tokens}" if made else " (no token file written)"
    console.print(
        f"{len(made)} account(s) enrolled{where}; {kept} already enrolled, left as they were."
    )


_SHOWN = 50


def _in_tree() -> Callable[[str], bool]:
    from rekap.data import region_tree
    from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah

    tree = region_tree()

    def known(code: str) -> bool:
        try:
            return KodeWilayah.parse(code) in tree
        except InvalidKodeWilayah:
            return False

    return known


def _write_tokens(path: Path, made: list[tuple[Principal, str]]) -> None:
    """Write the tokens to a new file readable by its owner only, on disk before returning;
    a file left by a failed write is removed."""
    if not made:
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("account_id", "name", "role", "scope", "token"))
            for principal, token in made:
                p = principal
                writer.writerow((p.account_id, p.name, p.role.value, p.scope, token))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@admin_app.command("list")
def list_accounts(
    scope: Annotated[str, typer.Option(help="Only accounts in this region (a code prefix).")] = "",
    after: Annotated[str, typer.Option(help="Only accounts with a later id (the next page).")] = "",
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    db: DatabaseOption = None,
) -> None:
    """Accounts and their devices (never a token), by account id."""
    entries = _accounts(db).entries(scope, after, limit)
    if as_json:
        for e in entries:
            keys = [{"device_id": d, "registered_at": r, "revoked_at": v} for d, r, v in e.devices]
            line = {
                "account_id": e.account_id,
                "name": e.name,
                "role": e.role.value,
                "scope": e.scope,
                "created_at": e.created_at,
                "disabled": e.disabled,
                "devices": keys,
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        _more(entries, limit)
        return
    table = Table("account", "name", "role", "scope", "state", "devices (revoked marked)")
    for e in entries:
        named = ", ".join(f"{d}{' (revoked)' if v else ''}" for d, _, v in e.devices)
        state = "disabled" if e.disabled else "active"
        cells = (e.account_id, e.name, e.role.value, e.scope or "-", state, named or "-")
        table.add_row(*map(Text, cells))  # stored text, never read as console markup
    Console().print(table)
    _more(entries, limit)


def _more(entries: list[AccountEntry], limit: int) -> None:
    if len(entries) == limit:
        console.print(f"There may be more: --after {entries[-1].account_id} for the next page.")


@admin_app.command("disable")
def disable(
    account_id: Annotated[str, typer.Argument(help="The account's id (`rekap admin list`).")],
    reason: ReasonOption,
    db: DatabaseOption = None,
) -> None:
    """Disable an account: its token and its devices are refused from now on (a running
    service within 10 seconds)."""
    from rekap.adapters.storage.accounts import AccountRefused, UnknownAccount

    try:
        changed = _accounts(db).disable(account_id, utc_now(), "cli", reason)
    except (UnknownAccount, AccountRefused) as error:
        raise _refuse(error) from error
    console.print(f"{account_id} {'disabled' if changed else 'was already disabled'}.")


@admin_app.command("token")
def reissue_token(
    account_id: Annotated[str, typer.Argument(help="The account's id (`rekap admin list`).")],
    db: DatabaseOption = None,
) -> None:
    """Print a new bearer token for an account (shown once); the old one is refused from now
    on."""
    from rekap.adapters.storage.accounts import AccountRefused, UnknownAccount

    try:
        token = _accounts(db).reissue_token(account_id, utc_now(), "cli")
    except (UnknownAccount, AccountRefused) as error:
        raise _refuse(error) from error
    typer.echo(json.dumps({"account_id": account_id, "token": token}))


@admin_app.command("revoke-device")
def revoke_device(
    device_id: Annotated[str, typer.Argument(help="The device's id (`rekap admin list`).")],
    reason: ReasonOption,
    keep_token: Annotated[
        bool, typer.Option(help="Keep the officer's token (a broken phone, not a stolen one).")
    ] = False,
    db: DatabaseOption = None,
) -> None:
    """Revoke a device's key (a lost or stolen phone): photos it signs are refused from now
    on; those it sent before stay. Unless --keep-token, the officer's token is replaced too
    and the new one printed (shown once): a stolen phone holds it."""
    from rekap.adapters.storage.accounts import UnknownAccount

    try:
        changed, token = _accounts(db).revoke_device(
            device_id, utc_now(), "cli", reason, not keep_token
        )
    except UnknownAccount as error:
        raise _refuse(error) from error
    console.print(f"{device_id} {'revoked' if changed else 'was already revoked'}.")
    if token is not None:
        typer.echo(json.dumps({"device_id": device_id, "token": token}))
