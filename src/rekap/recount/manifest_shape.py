"""The manifest's documented shape (docs/open-data.md), checked before any part of it is
used: a manifest of another shape is named as such, never a crash further on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_HEX = frozenset("0123456789abcdef")


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _listed_file(entry: object) -> bool:
    return (
        isinstance(entry, Mapping)
        and _digest(entry.get("sha256"))
        and (entry.get("bytes") is None or _count(entry.get("bytes")))
    )


def shape_problem(manifest: Any) -> str | None:
    """What makes ``manifest`` unlike the documented one, or None when it is alike."""
    if not isinstance(manifest, dict):
        return f"a JSON {type(manifest).__name__}, not an object"
    key = manifest.get("key")
    if not isinstance(key, Mapping) or not isinstance(key.get("public_key"), str):
        return "no key.public_key"
    contest = manifest.get("contest", "")
    if not isinstance(contest, str) or not all(
        c.isascii() and (c.isalnum() or c == "_") for c in contest
    ):
        return "contest is not a contest code"
    files = manifest.get("files", {})
    if not isinstance(files, Mapping):
        return "files is not an object"
    odd = [str(path) for path, entry in files.items() if not _listed_file(entry)]
    if odd:
        return f"files: {odd[0]!r} has no sha256 of 64 hex digits or a bad size"
    index = manifest.get("index", {})
    if not isinstance(index, Mapping) or not _listed_file(index):
        return "index is not an object with a sha256 and a size"
    if index.get("files") is not None and not _count(index.get("files")):
        return "index.files is not a count"
    scope = manifest.get("scope")
    if scope is not None and not (
        isinstance(scope, list) and all(isinstance(s, str) for s in scope)
    ):
        return "scope is not a list of region codes"
    return None
