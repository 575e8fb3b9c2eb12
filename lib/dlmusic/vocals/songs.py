"""Which songs the notebook uses: the dataset, and its training, validation and test tracks.

Notebook: ``solutions/vocals/vocals.ipynb``, the data section. The default is
``synthetic_stems`` (built offline on first use); on Colab a student may pick
MUSDB18's previews or MUSDB18-HQ. When the notebook is graded the synthetic
songs are always used, since the grader has no download. The last training
tracks are held out as validation tracks, which pick each network's best epoch.
"""

from __future__ import annotations

from dlmusic.course import mode
from dlmusic.datasets.musdb import load_musdb18_previews, load_musdb18hq
from dlmusic.datasets.records import StemTrack
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems
from dlmusic.errors import DatasetError

REAL_DATASETS = {"musdb18_previews": load_musdb18_previews, "musdb18hq": load_musdb18hq}
"""The real corpora a student may choose, by name, and their loaders."""
DATASETS = ("synthetic_stems", *REAL_DATASETS)


def notebook_tracks(
    dataset: str, *, train: int, test: int, validation: int, size: str = "quick"
) -> dict[str, list[StemTrack]]:
    """The ``train``, ``validation`` and ``test`` tracks of ``dataset``.

    Notebook: vocals, parts 1 to 6 (``tracks``, set up before part 1).

    Parameters
    ----------
    dataset : {"synthetic_stems", "musdb18_previews", "musdb18hq"}
        Which songs. In grading mode (:func:`dlmusic.course.mode`) always
        ``synthetic_stems``.
    train, test : int
        At most this many tracks of each subset (the first ones).
    validation : int
        How many of the ``train`` tracks (the last ones) become validation tracks.
    size : {"quick", "full"}
        The size of ``synthetic_stems`` to build or reuse.

    Returns
    -------
    dict
        ``{"train": [...], "validation": [...], "test": [...]}``.

    Raises
    ------
    DatasetError
        Unknown dataset, or fewer than ``validation + 1`` training tracks.
    """
    if dataset not in DATASETS:
        raise DatasetError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    counts = {"train": train, "test": test}
    if dataset in REAL_DATASETS and mode() != "grading":
        found = {subset: REAL_DATASETS[dataset](subset=subset)[:n] for subset, n in counts.items()}
    else:
        root = build_synthetic_stems(size=size, progress=False)
        found = {
            subset: load_synthetic_stems(root, subset=subset)[:n] for subset, n in counts.items()
        }
    if not 0 < validation < len(found["train"]):
        raise DatasetError(
            f"{len(found['train'])} training tracks cannot spare {validation} for validation"
        )
    return {
        "train": found["train"][:-validation],
        "validation": found["train"][-validation:],
        "test": found["test"],
    }
