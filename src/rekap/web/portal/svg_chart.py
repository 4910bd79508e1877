"""A horizontal bar chart of the paslon's shares, as inline SVG (no script, no font files)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from rekap.web.portal.i18n import Lang, format_int, format_percent
from rekap.web.portal.paslon import Share

WIDTH = 400
ROW = 44
BAR_ROOM = WIDTH - 118


def bar_chart(items: Sequence[Share], title: str, lang: Lang) -> Markup:
    """One bar per paslon, its length the share of valid votes; the figures are printed too,
    so the chart reads without colour. It is hidden from screen readers: the table after it
    holds the same figures as text they read cell by cell (an image's text alternative could
    only repeat them, or name a chart whose figures it hides)."""
    height = ROW * len(items) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" aria-hidden="true" '
        'focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, item in enumerate(items):
        top = row * ROW + 4
        length = round((item.share or 0.0) * BAR_ROOM, 1)
        figure = f"{format_percent(item.share, lang)} · {format_int(item.votes, lang)}"
        parts.append(
            f'<text x="0" y="{top + 13}" class="lbl">{escape(item.paslon.label)}</text>'
            f'<rect x="0" y="{top + 19}" width="{BAR_ROOM}" height="18" fill="#eee"/>'
            f'<rect x="0" y="{top + 19}" width="{length}" height="18" '
            f'fill="{item.paslon.colour}"/>'
            f'<text x="{BAR_ROOM + 8}" y="{top + 33}" class="fig">{escape(figure)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
