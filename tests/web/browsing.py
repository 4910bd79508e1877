"""Helpers for the browser tests: a tab that records console errors, figures read off pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Page


@dataclass
class Tab:
    page: Page
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: BrowserContext) -> Tab:
        tab = cls(context.new_page())
        tab.page.on("console", tab._console)
        tab.page.on("pageerror", lambda error: tab.errors.append(f"pageerror: {error}"))
        return tab

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def load_images(self) -> None:
        """Load every lazy image now, and wait until each has loaded (or failed)."""
        self.page.evaluate(
            "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
        )
        self.page.wait_for_function("() => [...document.images].every(i => i.complete)")

    def shoot(self, folder: Path, name: str) -> None:
        """A full-page screenshot, every lazy image loaded first."""
        self.load_images()
        self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def login(self, token: str) -> None:
        self.page.goto("/masuk")
        self.page.fill("#token", token)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_load_state()


def number(text: str) -> int | None:
    """A figure as the Indonesian pages write it ('39.047'), or None for '—'."""
    digits = text.strip().replace(".", "")
    return int(digits) if digits.isdigit() else None


def paslon_votes(page: Page) -> dict[int, int | None]:
    """The votes per paslon in the page's result table."""
    rows = page.locator("table.paslon tbody tr")
    out = {}
    for i in range(rows.count()):
        label = rows.nth(i).locator("th").inner_text().strip()
        out[int(label[:2])] = number(rows.nth(i).locator("td").first.inner_text())
    return out
