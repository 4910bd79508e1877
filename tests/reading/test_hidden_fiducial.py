"""A finger over one corner fiducial: the page is located from the other three and the tag,
at every size the photo is decoded at."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.geometry import project
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.template import load_form_templates
from rekap.simulation.api import (
    PhotoOptions,
    SimulationOptions,
    photograph_tps,
    simulate_region,
)


def simulated_page(tps_index: int, page: int) -> bytes:
    election = simulate_region("3310", 7, SimulationOptions())
    for index, tps in enumerate(election):
        if index == tps_index:
            return next(
                s.photo.jpeg for s in photograph_tps(tps, 7, PhotoOptions()) if s.page == page
            )
    raise AssertionError("no such TPS")


def covered(data: bytes, corner: str) -> bytes:
    decoded = decode_image(data, reduction=1)
    assert isinstance(decoded, DecodedImage)
    location = locate_page(decoded, load_form_templates())
    assert isinstance(location, PageLocation)
    anchor = next(f.anchor for f in location.template.fiducials if f.name == corner)
    x, y = project(location.homography, np.array([anchor]))[0]
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    cv2.circle(image, (round(x), round(y)), round(14 * location.px_per_mm), (120, 150, 210), -1)
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes())


@pytest.mark.parametrize("reduction", [1, 2])
def test_three_fiducials_and_the_tag_locate_a_page_at_full_size_too(reduction: int) -> None:
    # The fiducials are predicted from the tag's corners to be matched: a perspective map
    # from four corners of a small tag put them far off at full size (this very photo was
    # refused as page_incomplete); an affine one does not.
    photo = covered(simulated_page(2, 3), "top_right")
    decoded = decode_image(photo, reduction=reduction)
    assert isinstance(decoded, DecodedImage)
    location = locate_page(decoded, load_form_templates())
    assert isinstance(location, PageLocation), location
    assert location.template.page == 3
    assert location.fiducials_used == ("top_left", "bottom_right", "bottom_left")
    assert location.residual_mm < 2.0
