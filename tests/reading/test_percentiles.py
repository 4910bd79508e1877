"""`row_percentile` gives exactly what `numpy.percentile(rows, q, axis=1)` gives."""

from __future__ import annotations

import numpy as np
import pytest

from rekap.reading.percentiles import row_percentile


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("percent", [0.0, 2.0, 50.0, 90.0, 98.0, 99.5, 100.0])
def test_rows_give_numpys_percentiles(dtype: type, percent: float) -> None:
    rng = np.random.default_rng(int(percent * 10))
    for width in (1, 2, 7, 1024):
        for scale in (1.0, 4.7, 255.0):
            rows = (rng.random((9, width)) * scale).astype(dtype)
            rows[0] = rows[0, 0]  # a flat row
            expected = np.percentile(rows, percent, axis=1)
            found = row_percentile(np.sort(rows, axis=1), percent)
            assert found.dtype == expected.dtype
            assert np.array_equal(found, expected)
