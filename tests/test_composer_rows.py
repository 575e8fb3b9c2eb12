"""Pages to rows: the reference range profile and row finder, fitting rows, and bad pages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dlmusic.composer.rows import MAX_ROW_HEIGHT_PX, as_gray_page, fit_row, to_page_width
from dlmusic.datasets import synthetic_scores
from dlmusic.errors import DatasetError, PageError
from dlmusic_instructor.references.composer import find_rows, range_profile, rows_from_page

STAFF_SPACING_PX = 10


def engraved_page(systems: list[tuple[int, int]], height: int = 1754) -> np.ndarray:
    """A white uint8 page with staff systems drawn between the given pixel rows:
    five-line staves stacked from ``top``, joined by a bracket at the left."""
    page = np.full((height, 1240), 255, dtype=np.uint8)
    for top, n_staves in systems:
        for staff in range(n_staves):
            staff_top = top + staff * 8 * STAFF_SPACING_PX
            for line in range(5):
                page[staff_top + line * STAFF_SPACING_PX, 100:1140] = 0
        bottom = top + (n_staves - 1) * 8 * STAFF_SPACING_PX + 4 * STAFF_SPACING_PX + 1
        page[top:bottom, 96:99] = 0  # the system's bracket
    return page


def test_range_profile_is_brightest_minus_darkest_pixel_of_each_row():
    rng = np.random.default_rng(0)
    page = rng.integers(0, 256, size=(30, 50), dtype=np.uint8)
    expected = [(max(row) - min(row)) / 255 for row in page.tolist()]
    assert np.allclose(range_profile(page), expected, atol=1e-6)


def test_each_system_joined_by_its_bracket_is_one_row():
    page = engraved_page([(100, 4), (600, 4), (1100, 2)])
    cuts = rows_from_page(page)
    assert cuts.rows == [(100, 381), (600, 881), (1100, 1221)]
    assert cuts.too_tall == []


def test_stray_marks_shorter_than_the_minimum_height_are_dropped():
    page = engraved_page([(300, 2)])
    page[200:215, 500:510] = 0  # a measure number above the system
    assert rows_from_page(page).rows == [(300, 421)]


def test_runs_taller_than_the_maximum_are_flagged_not_kept():
    page = engraved_page([(100, 4)])
    page[500:1700, 600:602] = 0  # a vertical line through the lower page
    cuts = rows_from_page(page, max_height=1000)
    assert cuts.rows == [(100, 381)]
    assert cuts.too_tall == [(500, 1700)]


def test_find_rows_on_a_hand_made_profile():
    profile = np.array([0, 0.9, 0.9, 0.9, 0.2, 0.8, 0, 1, 1, 1, 1, 1, 1])
    cuts = find_rows(profile, threshold=0.5, min_height=2, max_height=4)
    assert cuts.rows == [(1, 4)]
    assert cuts.too_tall == [(7, 13)]
    assert cuts == ([(1, 4)], [(7, 13)]), "equal to the (rows, too_tall) tuple students return"


def test_blank_page_has_no_rows():
    assert rows_from_page(np.full((1754, 1240), 255, np.uint8)).rows == []


def test_tiny_image_is_refused_with_a_hint():
    with pytest.raises(PageError, match="to_page_width"):
        rows_from_page(np.zeros((8, 8), np.uint8))


def test_colour_and_transparent_pages_give_the_same_rows_as_gray():
    gray = engraved_page([(100, 4), (600, 2)])
    rgb = np.repeat(gray[..., np.newaxis], 3, axis=2)
    rgba = np.dstack([np.zeros_like(gray)] * 3 + [255 - gray])  # ink = opaque black
    expected = rows_from_page(gray).rows
    assert rows_from_page(rgb).rows == expected
    assert rows_from_page(rgba).rows == expected
    assert np.allclose(as_gray_page(rgba), as_gray_page(gray), atol=1 / 255)


def test_bad_arrays_are_refused():
    with pytest.raises(PageError, match="2-D"):
        as_gray_page(np.zeros((10, 10, 2)))
    with pytest.raises(PageError, match="within"):
        as_gray_page(np.full((10, 10), 2.0))
    with pytest.raises(PageError, match="finite"):
        as_gray_page(np.full((10, 10), np.nan))
    with pytest.raises(PageError):
        as_gray_page(np.zeros((0, 5), np.uint8))


def test_a_file_that_is_not_an_image_is_refused(tmp_path):
    path = tmp_path / "page.png"
    path.write_text("this is not a picture")
    with pytest.raises(DatasetError, match="cannot read"):
        as_gray_page(path)


def test_page_files_are_read_as_gray(tmp_path):
    page = engraved_page([(100, 2)])
    Image.fromarray(np.dstack([page] * 3)).save(tmp_path / "page.jpg", quality=95)
    assert rows_from_page(as_gray_page(tmp_path / "page.jpg")).rows[0][0] in (99, 100)


def test_to_page_width_scales_a_scan_to_the_engraved_width():
    scan = np.full((3508, 2480), 255, np.uint8)  # A4 at 300 dpi
    assert to_page_width(scan).shape == (1754, 1240)


def test_fit_row_keeps_the_top_of_a_tall_system_and_pads_a_short_one():
    page = engraved_page([(100, 4), (600, 1)])
    tall = fit_row(page, (100, 381), shape=(70, 400))
    short = fit_row(page, (600, 641), shape=(70, 400))
    assert tall.shape == short.shape == (70, 400) and tall.dtype == np.float32
    assert tall.min() >= 0 and tall.max() <= 1
    assert tall[0].max() > 0.2  # the top staff line, as ink
    assert short[20:].max() == 0  # 41 px scaled by 400/1240 is 13 px; the rest is paper
    with pytest.raises(PageError, match="within"):
        fit_row(page, (1700, 1800))


@pytest.mark.parametrize(
    ("source", "engraving"),
    [
        ("bach/bwv64.4.mxl", "uniform"),
        ("mozart/k458/movement1.mxl", "uniform"),
        ("monteverdi/madrigal.3.7.mxl", "uniform"),
        ("beethoven/opus18no1/movement1.mxl", "by_composer"),
        ("palestrina/Kyrie_31_a.krn", "by_composer"),
    ],
)
def test_rows_match_the_systems_verovio_engraved(source, engraving):
    """Every system of a piano reduction is one row: none split, none merged, none missed."""
    score = synthetic_scores.piano_reduction(synthetic_scores.opening_measures(source, 24))
    options = synthetic_scores.engraving_options(source.split("/")[0], engraving)
    pages, systems_per_page = synthetic_scores.engrave_pages_with_systems(score, 2, options)
    for page, systems in zip(pages, systems_per_page, strict=True):
        found = rows_from_page(to_page_width(as_gray_page(page))).rows
        assert len(found) == len(systems) >= 1, f"{source}: {found} for systems {systems}"
        for (top, bottom), (line_top, line_bottom) in zip(found, systems, strict=True):
            assert top <= line_top + 2 and line_bottom <= bottom + 2, source
            assert bottom - top <= MAX_ROW_HEIGHT_PX
