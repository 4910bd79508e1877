"""The homography helpers' closed forms agree with their numpy definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.reading.geometry import local_scale, local_steps, project
from rekap.reading.hypotheses import anisotropy
from rekap.reading.template import load_page_template

TEMPLATE = load_page_template(2)
_number = st.floats(-0.3, 0.3, allow_nan=False)


def _homography(a: float, b: float, c: float, d: float, p: float, q: float) -> np.ndarray:
    """A plausible page-to-photo map: about 2 px/mm, a little shear and perspective."""
    return np.array(
        [[2.0 + a, b, 100.0], [c, 2.0 + d, 80.0], [p * 1e-4, q * 1e-4, 1.0]], dtype=np.float64
    )


@settings(max_examples=200, deadline=None)
@given(_number, _number, _number, _number, _number, _number, st.floats(0, 600), st.floats(0, 900))
def test_local_steps_and_scale_are_the_projected_unit_steps(
    a: float, b: float, c: float, d: float, p: float, q: float, x: float, y: float
) -> None:
    homography = _homography(a, b, c, d, p, q)
    mapped = project(homography, np.array([[x, y], [x + 1.0, y], [x, y + 1.0]]))
    du, dv = mapped[1] - mapped[0], mapped[2] - mapped[0]
    steps = local_steps(homography, (x, y))
    assert np.allclose(steps, (du, dv), rtol=1e-9, atol=1e-9)
    area = abs(du[0] * dv[1] - du[1] * dv[0])
    assert np.isclose(local_scale(homography, (x, y)), np.sqrt(area), rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(_number, _number, _number, _number, _number, _number)
def test_anisotropy_is_the_ratio_of_the_singular_values(
    a: float, b: float, c: float, d: float, p: float, q: float
) -> None:
    homography = _homography(a, b, c, d, p, q)
    du, dv = local_steps(homography, np.array(TEMPLATE.page_size) / 2)
    singular = np.linalg.svd(np.column_stack([du, dv]), compute_uv=False)
    assert np.isclose(anisotropy(homography, TEMPLATE), singular[0] / singular[1], rtol=1e-7)


def test_a_point_sent_to_infinity_gives_no_finite_scale_and_no_exception() -> None:
    # the weight row (-0.01, 0, 1) is zero at x = 100
    homography = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [-0.01, 0.0, 1.0]])
    assert not np.isfinite(local_scale(homography, (100.0, 50.0)))
    assert np.isfinite(local_scale(homography, (10.0, 50.0)))
