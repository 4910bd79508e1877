"""`rekap db copy` keeps every value, not only every row: a running election (accounts, photos
received and not yet read, an import) copied from each database into the other and back holds
the same values in every column of every table. Into PostgreSQL the rows go by COPY."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, Text, cast, select, text
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.schema import metadata
from rekap.capture.access import Role
from rekap.cli.main import app
from tests.integration.conftest import _postgres_database
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
KODE = "7471011007001"
Rows = dict[str, list[tuple[object, ...]]]


def _instant(value: object) -> object:
    """A time as its instant (SQLite gives rekap's UTC times without their zone)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def every_value(url: str) -> Rows:
    """Every row of every table in key order, a JSON column as the text stored (SQL NULL as
    None), a time as its instant."""
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            found: Rows = {}
            for table in metadata.sorted_tables:
                columns = [cast(c, Text) if isinstance(c.type, JSON) else c for c in table.columns]
                query = select(*columns).order_by(*table.primary_key.columns)
                found[table.name] = [
                    tuple(_instant(v) for v in row) for row in connection.execute(query)
                ]
            return found
    finally:
        engine.dispose()


def copied(source: str, target: str) -> None:
    done = CliRunner().invoke(app, ["db", "copy", "--db", source, "--to", target])
    assert done.exit_code == 0, done.output


def postgresql_in_jakarta() -> Iterator[str]:
    """A new PostgreSQL database whose sessions are in Asia/Jakarta's time (UTC+7), as a
    server installed in Indonesia is."""
    for url in _postgres_database():
        engine = open_engine(url)
        with engine.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Jakarta'"))
            connection.commit()
        engine.dispose()
        yield url


def test_a_copy_and_its_copy_back_hold_the_same_values(service: Service, tmp_path: Path) -> None:
    """Two values changed on the way, unseen by the counts: a photo not yet read had SQL NULL
    as its reading and got JSON `null`, and an import's times, held by SQLite without their
    zone, were taken by a PostgreSQL server in its own zone (seven hours off in Jakarta)."""
    service.upload_pages(KODE, {1: synthetic_jpeg(61), 2: synthetic_jpeg(62)})  # not yet read
    service.enrol('Back\\slash, "quoted", \\N', Role.VERIFIER, "74")
    sample = str(SAMPLE / "sample_tingkat6_tps.zip")
    imported = CliRunner().invoke(app, ["import", "sirekap", sample, "--db", service.database_url])
    assert imported.exit_code == 0, imported.output
    source = every_value(service.database_url)
    assert [row[-2] for row in source["photo"]] == [None, None]  # reading: SQL NULL
    assert len(source["import_run"]) == 1 and source["event"]

    other = f"sqlite:///{tmp_path / 'other.db'}"
    back = f"sqlite:///{tmp_path / 'back.db'}"
    for national in postgresql_in_jakarta():
        if service.context.engine.dialect.name == "sqlite":  # a pilot moves to PostgreSQL
            copied(service.database_url, national)
            assert every_value(national) == source
            copied(national, back)
        else:  # an election taken home in one file, then to another server
            copied(service.database_url, other)
            assert every_value(other) == source
            copied(other, national)
            back = national
        assert every_value(back) == source
