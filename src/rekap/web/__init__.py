"""The HTTP service (FastAPI): the capture API, verification, the public log."""
