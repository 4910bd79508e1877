"""What a page handler raises when it cannot show the page; rendered as HTML pages."""

from __future__ import annotations


class PageNotFound(LookupError):
    """No such region, TPS, photo or file."""


class PlaceNotFound(PageNotFound):
    """No region (``/wilayah/``) or TPS (``/tps/``) has this code: the page says so in words
    and links the nearest region above that exists."""

    def __init__(self, kode: str, is_tps: bool) -> None:
        super().__init__(kode)
        self.kode = kode
        self.is_tps = is_tps


class LoginNeeded(Exception):
    """A workspace page was asked for without a valid login, or by the wrong role."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PageRefused(Exception):
    """A form post that cannot be done (e.g. a verification entry refused by the store)."""

    def __init__(
        self, code: str, message: str, status: int = 409, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s
        """For a limit (429): seconds until it may be done again (``Retry-After``)."""
