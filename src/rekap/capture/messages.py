"""The exact bytes that devices and the server sign, so anyone can check them offline."""

from __future__ import annotations

from datetime import datetime


def photo_message(sha256: str, kode_tps: str, page: int, captured_at: datetime) -> bytes:
    """What an officer's device signs: the photo's hash, the TPS, the page and the time."""
    return f"rekap-photo:v1:{sha256}:{kode_tps}:{page}:{captured_at.isoformat()}".encode()


def receipt_message(sha256: str, kode_tps: str, page: int, received_at: datetime) -> bytes:
    """What the server signs in a receipt: the photo's hash, TPS, page and time of receipt."""
    return f"rekap-receipt:v1:{sha256}:{kode_tps}:{page}:{received_at.isoformat()}".encode()
