"""The shortcut experiment: a network trained on pages engraved per composer.

Notebook: composer, part 7 ("The shortcut"). Every composer's pages are
engraved in its own style (:data:`dlmusic.datasets.synthetic_scores.BY_COMPOSER`),
as if each came from its own publisher; the small CNN trained on the training
works' styled pages is tested on the test works twice, in the same styles and
engraved uniformly. The split is the student's split by work and the
optimiser the student's ``compile_classifier``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from dlmusic.composer.dataset import RowSet, load_rows
from dlmusic.composer.evaluation import row_accuracy
from dlmusic.composer.model import build_small_cnn
from dlmusic.composer.rows import RowFinder
from dlmusic.composer.training import Budget, Compile
from dlmusic.datasets.sheet_folder import load_score_folder
from dlmusic.datasets.synthetic_scores import build_synthetic_scores

ENGRAVINGS = ("by_composer", "uniform")
"""The trained-on engraving first, then the uniform control."""


@dataclass(frozen=True)
class ShortcutRun:
    """What the shortcut experiment measured.

    Notebook: composer, part 7 (the shortcut).

    Attributes
    ----------
    table : list of dict
        One entry per test engraving: test rows and row accuracy.
    model : keras.Model
        The small CNN trained on styled pages.
    styled_test : RowSet
        The test works' styled rows (for Grad-CAM).
    """

    table: list[dict]
    model: keras.Model
    styled_test: RowSet


def shortcut_experiment(
    *,
    row_finder: RowFinder,
    split_by_piece: Callable[..., dict[str, np.ndarray]],
    compile_classifier: Compile,
    composers: Sequence[str],
    size: str,
    budget: Budget,
    seed: int,
    max_rows_per_page: int | None = None,
) -> ShortcutRun:
    """Train the small CNN on styled pages; test it on styled and on uniform pages of new works.

    Notebook: composer, part 7.

    Parameters
    ----------
    row_finder : RowFinder
        Slices the pages (the student's).
    split_by_piece : callable
        ``split_by_piece(pieces, labels, seed=seed)`` (the student's); its
        train and dev works are trained on, its test works tested.
    compile_classifier : callable
        The student's optimiser set-up (learning rate from ``budget``).
    composers : sequence of str
        Class names in label order.
    size : str
        ``synthetic_scores`` build size (``"quick"`` or ``"small"``).
    budget : Budget
        Epochs, learning rate and batch size of the small CNN.
    seed : int
        Seeds the split and Keras.
    max_rows_per_page : int or None
        At most this many rows of each page.
    """
    variants = {
        engraving: load_rows(
            load_score_folder(
                build_synthetic_scores(size=size, engraving=engraving, progress=False)
            ),
            row_finder,
            composers=composers,
            max_rows_per_page=max_rows_per_page,
        )
        for engraving in ENGRAVINGS
    }
    styled = variants["by_composer"]
    splits = split_by_piece(styled.pieces, styled.labels, seed=seed)
    test_works = styled.pieces[splits["test"]]
    keras.utils.set_random_seed(seed)
    model = build_small_cnn(len(composers))
    compile_classifier(model, learning_rate=budget.learning_rate)
    train = styled.subset(np.flatnonzero(~np.isin(styled.pieces, test_works)))
    model.fit(
        train.images, train.labels, epochs=budget.epochs, batch_size=budget.batch_size, verbose=0
    )
    table, tests = [], {}
    for engraving, rows in variants.items():
        tests[engraving] = rows.subset(np.flatnonzero(np.isin(rows.pieces, test_works)))
        table.append(
            {
                "trained on": "styled pages",
                "tested on": f"{engraving} pages of the test works",
                "test rows": len(tests[engraving]),
                "row accuracy": f"{row_accuracy(model, tests[engraving]):.1%}",
            }
        )
    return ShortcutRun(table, model, tests["by_composer"])
