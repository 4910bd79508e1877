"""The shipped page templates: complete, consistent, and exactly what the tool derives."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from rekap.reading.template import load_form_templates, load_page_template, parse_page_template

PAGE_FIELDS = {
    1: [
        *(f"{group}_{part}" for group in ("dpt",) for part in "lpj"),
        *(
            f"pengguna_{group}_{part}"
            for group in ("dpt", "dptb", "dpk", "total")
            for part in "lpj"
        ),
        "surat_suara_diterima",
        "surat_suara_digunakan",
        "surat_suara_rusak",
        "surat_suara_tidak_digunakan",
        *(f"disabilitas_{part}" for part in "lpj"),
    ],
    2: ["paslon_1", "paslon_2", "paslon_3"],
    3: ["suara_sah", "suara_tidak_sah", "suara_total"],
}


Box = tuple[float, float, float, float]


def _inside(box: Box, outer: Box) -> bool:
    return outer[0] <= box[0] < box[2] <= outer[2] and outer[1] <= box[1] < box[3] <= outer[3]


@pytest.mark.parametrize("page", [1, 2, 3])
def test_each_page_has_its_tag_fiducials_and_fields(page: int) -> None:
    template = load_page_template(page)
    assert template.apriltag.id == 100 + page
    assert template.apriltag.family == "36h10"
    assert [f.name for f in template.fiducials] == [
        "top_left",
        "top_right",
        "bottom_right",
        "bottom_left",
    ]
    assert [f.id for f in template.fields] == PAGE_FIELDS[page]
    width, height = template.page_size
    for field in template.fields:
        assert [b.position for b in field.digit_boxes] == [0, 1, 2]
        for box in field.digit_boxes:
            assert _inside(box.inner, box.outer)
            assert _inside(box.outer, field.box)
            assert 15 < box.outer[2] - box.outer[0] < 25
        lefts = [b.outer[0] for b in field.digit_boxes]
        assert lefts == sorted(lefts)
        assert _inside(field.box, (0.0, 0.0, width, height))


def test_page_two_has_a_ten_bubble_column_under_each_digit_box() -> None:
    for field in load_page_template(2).fields:
        grid = field.bubble_grid
        assert grid is not None
        assert 0 < grid.inner_radius < grid.outer_radius < 6
        for column, box in zip(grid.columns, field.digit_boxes, strict=True):
            assert [b.digit for b in column.bubbles] == list(range(10))
            ys = [b.centre[1] for b in column.bubbles]
            assert ys == sorted(ys) and ys[0] > box.outer[3]
            assert all(box.outer[0] < b.centre[0] < box.outer[2] for b in column.bubbles)


def test_pages_without_bubbles_have_none() -> None:
    for page in (1, 3):
        assert all(f.bubble_grid is None for f in load_page_template(page).fields)


def test_form_templates_come_in_page_order() -> None:
    assert [t.page for t in load_form_templates()] == [1, 2, 3]


def test_another_schema_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not a rekap\.page-template"):
        parse_page_template({"schema": "something-else/9"})


@pytest.mark.shared
def test_the_tool_derives_exactly_the_shipped_templates(
    shared_dir: Path, repo_root: Path, tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location(
        "derive_templates", repo_root / "tools" / "derive_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_templates"] = module
    spec.loader.exec_module(module)
    pdf = shared_dir / "data" / "forms" / "official" / "C.HASIL-PPWP.pdf"
    module.derive(pdf, tmp_path)
    shipped = repo_root / "src" / "rekap" / "reading" / "templates" / "c_hasil_ppwp"
    for page in (1, 2, 3):
        derived = json.loads((tmp_path / f"page{page}.json").read_text())
        assert derived == json.loads((shipped / f"page{page}.json").read_text())


def test_template_fields_are_the_domain_form_fields_page_by_page() -> None:
    from rekap.data import election_2024
    from rekap.domain.form import c_hasil_ppwp

    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
    for template in load_form_templates():
        assert {f.id for f in template.fields} == {f.id for f in form.page(template.page)}
