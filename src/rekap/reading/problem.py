"""Why a photo could not be read: a status and a reason, returned as data by any stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProblemStatus = Literal["not_a_form", "page_incomplete", "unreadable"]


@dataclass(frozen=True)
class Problem:
    """A stage's refusal. `unreadable`: the bytes or the picture cannot be used;
    `not_a_form`: no known page was found; `page_incomplete`: a known page was found
    but not enough of it to locate it or to read every field."""

    status: ProblemStatus
    reason: str
    page: int | None = None
