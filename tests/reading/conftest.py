"""Fixtures of the reader's tests: a glyph classifier and a maker of synthetic page photos."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from page_drawing import GlyphClassifier, Gray, PhotoMaker, draw_page, encode, photograph

from rekap.reading.template import load_page_template


@pytest.fixture(scope="session")
def glyph_classifier() -> GlyphClassifier:
    return GlyphClassifier()


@pytest.fixture(scope="session")
def page_photo() -> PhotoMaker:
    """Make JPEG bytes of a filled page: page_photo(2, digits={...}, bubbles={...}, turn=2)."""

    def make(
        page: int,
        digits: Mapping[str, str] | None = None,
        bubbles: Mapping[str, str] | None = None,
        *,
        tag_id: int | None = None,
        edit: Callable[[Gray], Gray] | None = None,
        **shot: object,
    ) -> bytes:
        drawn = draw_page(load_page_template(page), digits, bubbles, tag_id)
        photo, _ = photograph(drawn, **shot)  # type: ignore[arg-type]
        if edit is not None:
            photo = edit(photo)
        return encode(photo, quality=92)

    return make
