"""An entry whose login ended while it was typed: carried through the login form, unsaved.

A verifier's login can end in the middle of a form (the cookie's hours are over, an admin
reissued the token). The entry posted then is not lost: the login page carries the typed
fields as hidden inputs, and the login answers with a 307 to the entry's address marked
``RESUME``, so the browser posts them there again, now logged in. The workspace then shows
the form again with the numbers filled in, to be checked and saved; it saves nothing itself
(the person who logs in may not be the one who typed), and shows them only to a person the
form was handed to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from rekap.domain.form import FormSpec

RESUME = "dipulihkan"
"""The query parameter of an entry's address that asks for the form back, not a save."""
ENTRY_PATH = re.compile(r"/verifikasi/tugas/(\d{1,12})")
STARTED = "mulai"
UNREADABLE = "tidak_terbaca"
"""The form's name of the boxes "cannot read": one per ticked field, its id as the value."""
MAX_TEXT = 16
"""The longest text carried for one field (a number has three digits; a mistyped one more)."""


def resume_target(path: str) -> str | None:
    """Where a login carries an entry posted to ``path`` without one, or None for any other
    post."""
    if ENTRY_PATH.fullmatch(path) is None:
        return None
    return f"{path}?{RESUME}=1"


def resumes_entry(target: str) -> bool:
    """Whether a login's next address is an entry to be posted again (a 307, not a 303)."""
    path, _, query = target.partition("?")
    return ENTRY_PATH.fullmatch(path) is not None and query == f"{RESUME}=1"


def carried_fields(form: FormSpec, posted: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """The fields of an entry worth carrying: the form's numbers, its ticked boxes and when
    typing began; each text cut to ``MAX_TEXT``, anything else left behind."""
    numbers = set(form.by_id)
    carried: list[tuple[str, str]] = []
    for name, value in posted:
        if not isinstance(value, str):
            continue
        if name in numbers or name == STARTED or (name == UNREADABLE and value in numbers):
            carried.append((name, value[:MAX_TEXT]))
    return carried


def login_path(next_path: str | None) -> str:
    """The login page's address, with the page to go on to after it."""
    return "/masuk" if next_path is None else f"/masuk?lanjut={quote(next_path, safe='/')}"
