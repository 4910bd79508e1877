"""The recount's DuckDB connections are bounded: two run at once, and each would otherwise
take DuckDB's default of 80 % of the machine's memory and spill into ``.tmp`` of whatever
folder the recount was started from."""

from __future__ import annotations

import os
import tempfile

from rekap.recount.aggregate import MEMORY_SHARE, MIN_MEMORY, connect, memory_limit


def test_each_connection_takes_a_share_of_the_memory() -> None:
    assert memory_limit(16 << 30) == int((16 << 30) * MEMORY_SHARE)
    assert memory_limit(1 << 30) == MIN_MEMORY
    assert 2 * MEMORY_SHARE < 0.8  # two at once stay under one default connection


def test_a_connection_spills_into_the_temporary_folder_within_its_limit() -> None:
    connection = connect()
    try:
        limit, spill = connection.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
    finally:
        connection.close()
    assert os.path.dirname(spill) == tempfile.gettempdir()
    wanted_mib = memory_limit() >> 20
    number, unit = str(limit).split()
    got_mib = float(number) * {"MiB": 1, "GiB": 1024}[unit]
    assert abs(got_mib - wanted_mib) <= 0.05 * wanted_mib + 1
