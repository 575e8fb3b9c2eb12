"""The composer's held-out grading: material that follows the seed, and floors above no learning.

The first tests replace the engraver with a tiny one (a page per work whose
name carries the seed) to show that what one process has read never stands
in for another seed's, or for a folder rebuilt in place. The calibration
tests engrave the real held-out works once for the module (about 90 s) and
score what learned nothing: each constant answer, and untrained ResNet50s,
as the grader scores a handed-in network.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

keras = pytest.importorskip("keras")

from dlmusic.composer.model import weights_file  # noqa: E402
from dlmusic.datasets.build_cache import build_once  # noqa: E402
from dlmusic.datasets.synthetic_scores import COMPOSERS  # noqa: E402
from dlmusic_instructor import COURSE_ROOT  # noqa: E402
from dlmusic_instructor.assignments import composer as checks  # noqa: E402
from dlmusic_instructor.checks import Context, ProbeRun, ProbeStatus, judge  # noqa: E402
from dlmusic_instructor.heldout import composer as heldout  # noqa: E402
from dlmusic_instructor.references.composer import build_resnet50  # noqa: E402

SOLUTION = COURSE_ROOT / "solutions" / "composer" / "composer.ipynb"
MODEL_CHECKS = ("score-resnet50-rows", "score-resnet50-pieces")
HELDOUT_SEED = 11
"""The seed of ``composer_heldout_dir`` (conftest): its pages are engraved once for every file."""


@pytest.fixture
def tiny_engraver(monkeypatch):
    """Held-out builds of one page per composer, in a work named ``work<seed>-<edition>``."""
    edition = {"number": 1}

    def build_synthetic_scores(folder, *, size, seed, progress):
        def build(tmp: Path) -> None:
            for composer in COMPOSERS[:2]:
                work = tmp / composer / f"work{seed}-{edition['number']}"
                work.mkdir(parents=True)
                page = np.full((300, 1240), 255, np.uint8)
                page[100:160:6, 100:1100] = 0  # one system of staff lines
                page[100:160, 96:99] = 0  # its bracket
                Image.fromarray(page).save(work / "page-01.png")

        params = {"size": size, "seed": seed, "edition": edition["number"]}
        return build_once(Path(folder), params, build)

    monkeypatch.setattr(heldout, "build_synthetic_scores", build_synthetic_scores)
    return edition


def _works(pages) -> set[str]:
    return {page.piece for page in pages}


def test_held_out_pages_and_rows_follow_the_seed_in_one_process(tiny_engraver, tmp_path):
    assert _works(heldout.heldout_pages(tmp_path, 1, "quick")) == {"work1-1"}
    assert _works(heldout.heldout_pages(tmp_path, 2, "quick")) == {"work2-1"}
    assert set(heldout.heldout_rows(tmp_path, 1, "quick").pieces) == {
        f"{c}/work1-1" for c in COMPOSERS[:2]
    }
    assert set(heldout.heldout_rows(tmp_path, 2, "quick").pieces) == {
        f"{c}/work2-1" for c in COMPOSERS[:2]
    }
    assert _works(heldout.heldout_pages(tmp_path, 1, "quick")) == {"work1-1"}


def test_a_held_out_folder_rebuilt_in_place_is_read_again(tiny_engraver, tmp_path):
    assert _works(heldout.heldout_pages(tmp_path, 3, "quick")) == {"work3-1"}
    tiny_engraver["number"] = 2  # the build's parameters change: the folder is rebuilt
    assert _works(heldout.heldout_pages(tmp_path, 3, "quick")) == {"work3-2"}
    assert set(heldout.heldout_rows(tmp_path, 3, "quick").pieces) == {
        f"{c}/work3-2" for c in COMPOSERS[:2]
    }


# --------------------------------------------------------------- calibration


class Constant:
    """Predicts one composer for every row, with certainty."""

    def __init__(self, label: int) -> None:
        self.label = label

    def predict(self, images: np.ndarray, **_: object) -> np.ndarray:
        return np.tile(np.eye(len(COMPOSERS))[self.label], (len(images), 1))


def test_the_floors_lie_above_the_model_checks_in_the_notebook():
    points = {
        cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"]
        for cell in nbformat.read(SOLUTION, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") in MODEL_CHECKS
    }
    assert points == {"score-resnet50-rows": 10, "score-resnet50-pieces": 5}
    assert checks.ROW_ACCURACY_FLOOR < checks.ROW_ACCURACY_TARGET
    assert checks.PIECE_ACCURACY_FLOOR < checks.PIECE_ACCURACY_TARGET


@pytest.mark.parametrize("size", ["quick", "full"])
def test_no_constant_answer_reaches_a_floor(composer_heldout_dir, size):
    rows = heldout.heldout_rows(composer_heldout_dir, HELDOUT_SEED, size)
    for label in range(len(COMPOSERS)):
        scores = heldout.heldout_accuracy(Constant(label), rows)
        assert scores["row"] <= checks.ROW_ACCURACY_FLOOR, (COMPOSERS[label], scores)
        assert scores["piece"] <= checks.PIECE_ACCURACY_FLOOR, (COMPOSERS[label], scores)


@pytest.mark.parametrize("size", ["quick", "full"])
def test_an_untrained_resnet50_earns_at_most_a_third_of_the_model_points(
    composer_heldout_dir, tmp_path, size
):
    points = {"score-resnet50-rows": 10, "score-resnet50-pieces": 5}
    checks_by_id = {check.grade_id: check for check in checks.CHECKS}
    for init in range(2):
        submission = tmp_path / f"init{init}"
        submission.mkdir()
        keras.utils.set_random_seed(init)
        build_resnet50(len(COMPOSERS)).save_weights(weights_file("resnet50", submission))
        context = Context("ada", "composer", submission, composer_heldout_dir, HELDOUT_SEED, size)
        earned = sum(
            judge(
                checks_by_id[grade_id], ProbeRun({}, {}, tmp_path, context), ProbeStatus()
            ).fraction
            * value
            for grade_id, value in points.items()
        )
        assert earned <= sum(points.values()) / 3, (size, init, earned)
