"""The page reader on clean simulated pages: what it reads is the truth (skipped without it)."""

from __future__ import annotations

import importlib

import cv2
import pytest

from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.form_render import render_page
from rekap.simulation.scenario import SimulationOptions, simulate_election


def _reader() -> object:
    try:
        pipeline = importlib.import_module("rekap.reading.pipeline")
        digits = importlib.import_module("rekap.reading.digits")
        return pipeline.PageReader(digits.OnnxDigitClassifier(threads=1))
    except Exception as error:  # the reader or its model is not there yet
        pytest.skip(f"page reader or digit model unavailable: {type(error).__name__}: {error}")


def test_the_reader_reads_clean_simulated_page_2_without_a_wrong_number() -> None:
    reader = _reader()
    options = SimulationOptions(correction_rate=0.0)
    sims = list(
        simulate_election(region_tree(), election_2024(), KodeWilayah("3310052013"), 3, options)
    )
    read = total = 0
    for tps in sims:
        ok, png = cv2.imencode(".png", render_page(tps, 2, px_per_mm=2.5))
        assert ok
        reading = reader.read(png.tobytes(), expected_page=2)  # type: ignore[attr-defined]
        assert reading.status == "ok" and reading.page == 2, reading.reason
        for field in reading.fields:
            total += 1
            if field.status == "read":
                read += 1
                assert field.value == tps.values[field.field_id], (tps.kode, field)
    assert read >= total // 2, f"the reader read only {read} of {total} clean fields"
