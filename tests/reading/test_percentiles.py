"""`row_percentile` gives exactly what `numpy.percentile(rows, q, axis=1)` gives."""

from __future__ import annotations

import numpy as np
import pytest

from rekap.reading.percentiles import row_percentile

PERCENTS = [0.0, 2.0, 50.0, 90.0, 98.0, 99.5, 100.0]


def _rows(seed: int, dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    found = []
    for width in (1, 2, 7, 1024):
        for scale in (1.0, 4.7, 255.0):
            rows = (rng.random((40, width)) * scale).astype(dtype)
            rows[0] = rows[0, 0]  # a flat row
            found.append(rows)
    return found


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("percent", PERCENTS)
def test_one_percentile_is_numpys(dtype: type, percent: float) -> None:
    for rows in _rows(int(percent * 10), dtype):
        expected = np.percentile(rows, percent, axis=1)
        found = row_percentile(np.sort(rows, axis=1), percent)
        assert found.dtype == expected.dtype
        assert np.array_equal(found, expected)


def test_several_percentiles_of_float32_rows_are_numpys_in_float64() -> None:
    for seed in range(30):
        for rows in _rows(seed, np.float32):
            expected = np.percentile(rows, PERCENTS, axis=1)
            ordered = np.sort(rows, axis=1)
            found = np.stack([row_percentile(ordered, p, np.float64) for p in PERCENTS])
            assert found.dtype == expected.dtype == np.float64
            assert np.array_equal(found, expected)
