"""``synthetic_scores``: engraved pages of sheet music by six composers.

The default corpus of the ``composer`` notebook. Works by Bach, Beethoven,
Haydn, Monteverdi, Mozart and Palestrina from the music21 corpus are cut to
their opening measures, engraved with verovio (no title or composer header,
so the label is not printed on the page), rasterised with cairosvg and saved
as grayscale PNG pages::

    <root>/<composer>/<piece>/page-01.png

the layout :func:`dlmusic.datasets.sheet_folder.load_score_folder` reads, so a
folder of real scanned pages can replace it. ``pages.csv`` lists every page
with its piece and music21 source; splits are made later, by piece.

Sizes (:data:`SIZES`): ``quick`` and ``full`` for the notebook; ``heldout``
for grading, one work per composer that the seed-0 ``full`` build does not
contain. :func:`engraved_systems` asks verovio where it drew each staff
system, the ground truth for the row slicer of :mod:`dlmusic.composer.rows`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from dlmusic.datasets.build_cache import build_once, require_size, slugify
from dlmusic.datasets.paths import dataset_dir
from dlmusic.errors import DatasetError

NAME = "synthetic_scores"
PAGES_CSV = "pages.csv"
COMPOSERS = ("bach", "beethoven", "haydn", "monteverdi", "mozart", "palestrina")
SCORE_SUFFIXES = (".mxl", ".xml", ".krn")
PAGE_WIDTH_PX = 1240
"""Raster width of a page: A4 at 150 dpi."""
VEROVIO_OPTIONS = {
    "pageWidth": 2100,
    "pageHeight": 2970,
    "pageMarginTop": 100,
    "pageMarginBottom": 100,
    "scale": 40,
    "header": "none",
    "footer": "none",
    "breaks": "auto",
    "adjustPageHeight": False,
}


@dataclass(frozen=True)
class ScoresSize:
    """Pieces per composer; fewest and most measures engraved per piece; pages kept.

    Works shorter than ``min_measures`` (fragments, single mass sections) are
    skipped: they would make near-empty pages.
    """

    pieces_per_composer: int
    min_measures: int
    max_measures: int
    max_pages: int


SIZES = {
    "quick": ScoresSize(pieces_per_composer=2, min_measures=8, max_measures=12, max_pages=1),
    "full": ScoresSize(pieces_per_composer=8, min_measures=12, max_measures=64, max_pages=4),
    "heldout": ScoresSize(pieces_per_composer=1, min_measures=12, max_measures=64, max_pages=3),
}
"""``heldout`` is for grading: works that the seed-0 ``full`` build leaves out
(music21 holds only nine Haydn works, so one per composer); notebooks never
load it."""
EXCLUDED_SIZES = {"heldout": "full"}
"""Sizes whose works are skipped by another size's build (with seed 0)."""


def synthetic_scores_dir(size: str = "quick") -> Path:
    """Where the ``size`` build lives: ``data_dir()/synthetic_scores/<size>``."""
    require_size(size, SIZES)
    return dataset_dir(NAME) / size


def composer_works(composer: str) -> list[str]:
    """music21 corpus paths of ``composer``'s works, one file per work, sorted.

    Where a work exists in several formats (``.krn`` and ``.mxl``) the
    MusicXML file is kept.
    """
    from music21 import corpus

    by_work: dict[str, Path] = {}
    for path in sorted(corpus.getComposer(composer)):
        if path.suffix not in SCORE_SUFFIXES:
            continue
        work = path.with_suffix("").as_posix()
        if work not in by_work or path.suffix in (".mxl", ".xml"):
            by_work[work] = path
    return [p.as_posix().split("/corpus/", 1)[1] for p in by_work.values()]


def shuffled_works(composer: str, seed: int) -> list[str]:
    """``composer``'s works in a seeded order (the build takes them in this order)."""
    works = composer_works(composer)
    order = np.random.default_rng([seed, COMPOSERS.index(composer)]).permutation(len(works))
    return [works[i] for i in order]


def opening_measures(corpus_path: str, max_measures: int):
    """The first ``max_measures`` measures of a corpus work (a music21 Score)."""
    from music21 import corpus

    return corpus.parse(corpus_path).measures(1, max_measures)


def count_measures(score) -> int:
    """Measures in the score's first part."""
    return len(score.parts[0].getElementsByClass("Measure"))


def engrave_pages(score, max_pages: int) -> list[np.ndarray]:
    """Engrave a music21 score as grayscale pages.

    Returns
    -------
    list of np.ndarray, each shape (height_px, PAGE_WIDTH_PX), uint8
        White (255) paper, black (0) ink; at most ``max_pages`` pages.
    """
    import cairosvg

    toolkit = _engraving_toolkit(score)
    pages = []
    for page in range(1, min(toolkit.getPageCount(), max_pages) + 1):
        svg = toolkit.renderToSVG(page)
        png = cairosvg.svg2png(
            bytestring=svg.encode("utf-8"), output_width=PAGE_WIDTH_PX, background_color="white"
        )
        pages.append(np.asarray(Image.open(io.BytesIO(png)).convert("L")))
    return pages


def engraved_systems(score, max_pages: int) -> list[list[tuple[float, float]]]:
    """Where verovio draws each staff system on the pages :func:`engrave_pages` makes.

    Returns
    -------
    list (one per page) of list (one per system, top to bottom) of (top_px, bottom_px)
        Rows of the rasterised page (``PAGE_WIDTH_PX`` wide) of the system's
        top and bottom staff lines: the extent of its staves, without notes,
        slurs or text above and below them.
    """
    return engrave_pages_with_systems(score, max_pages)[1]


def engrave_pages_with_systems(
    score, max_pages: int
) -> tuple[list[np.ndarray], list[list[tuple[float, float]]]]:
    """:func:`engrave_pages` and :func:`engraved_systems` of one engraving (one layout)."""
    import cairosvg

    toolkit = _engraving_toolkit(score)
    pages, systems = [], []
    for page in range(1, min(toolkit.getPageCount(), max_pages) + 1):
        svg = toolkit.renderToSVG(page)
        png = cairosvg.svg2png(
            bytestring=svg.encode("utf-8"), output_width=PAGE_WIDTH_PX, background_color="white"
        )
        pages.append(np.asarray(Image.open(io.BytesIO(png)).convert("L")))
        systems.append(_system_extents(svg))
    return pages, systems


def _musicxml(score) -> str:
    """MusicXML text of a music21 score (raises music21's exceptions for bad durations)."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    return GeneralObjectExporter(score).parse().decode("utf-8")


def _engraving_toolkit(score):
    """A verovio toolkit holding ``score``, laid out with :data:`VEROVIO_OPTIONS`."""
    import verovio

    verovio.enableLog(False)
    toolkit = verovio.toolkit()
    toolkit.setOptions(VEROVIO_OPTIONS)
    if not toolkit.loadData(_musicxml(score)):
        raise DatasetError("verovio could not engrave the score")
    return toolkit


def _system_extents(svg: str) -> list[tuple[float, float]]:
    """(top_px, bottom_px) of the staff lines of each system in a verovio page SVG."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    inner = root.find("svg:svg", ns)
    units_wide = float(inner.get("viewBox").split()[2])
    px_per_unit = PAGE_WIDTH_PX / units_wide
    margin = root.find(".//svg:g[@class='page-margin']", ns)
    offset_y = float(re.search(r"translate\([^,]+,\s*([-\d.]+)\)", margin.get("transform"))[1])
    extents = []
    for system in root.iterfind(".//svg:g[@class='system']", ns):
        ys = [
            float(value)
            for staff in system.iterfind(".//svg:g[@class='staff']", ns)
            for line in staff.findall("svg:path", ns)
            for value in re.findall(r"[ML]\s*[-\d.]+\s+([-\d.]+)", line.get("d"))
        ]
        if ys:
            extents.append(((min(ys) + offset_y) * px_per_unit, (max(ys) + offset_y) * px_per_unit))
    return extents


def build_synthetic_scores(
    root: str | Path | None = None,
    *,
    size: str = "quick",
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Engrave every page (unless an identical build is already there).

    Returns
    -------
    Path
        The dataset folder, holding one folder per composer and :data:`PAGES_CSV`.
    """
    require_size(size, SIZES)
    root = Path(root) if root is not None else synthetic_scores_dir(size)
    params = {"dataset": NAME, "size": asdict(SIZES[size]), "seed": seed}
    excluded = set()
    if size in EXCLUDED_SIZES:
        params["excludes"] = EXCLUDED_SIZES[size]
        excluded = set(selected_works(EXCLUDED_SIZES[size]))

    def build(folder: Path) -> None:
        _engrave_all(folder, SIZES[size], seed, progress, excluded)

    return build_once(root, params, build, force=force)


def selected_works(size: str, seed: int = 0) -> list[str]:
    """The music21 corpus paths that the ``size`` build with ``seed`` engraves.

    Runs the build's choice (enough measures, exportable) without engraving.
    """
    require_size(size, SIZES)
    return [work for _, work, _ in _usable_works(SIZES[size], seed, set())]


def _engrave_all(
    folder: Path, size: ScoresSize, seed: int, progress: bool, excluded: set[str]
) -> None:
    rows = []
    bar = tqdm(total=len(COMPOSERS) * size.pieces_per_composer, desc=NAME, disable=not progress)
    for composer, work, score in _usable_works(size, seed, excluded):
        pages = engrave_pages(score, size.max_pages)
        piece = slugify(work.split("/", 1)[1].rsplit(".", 1)[0])
        bar.update()
        for number, image in enumerate(pages, start=1):
            path = folder / composer / piece / f"page-{number:02d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(path, optimize=False)
            rows.append(
                {
                    "composer": composer,
                    "piece": piece,
                    "page": number,
                    "path": path.relative_to(folder).as_posix(),
                    "source": work,
                    "height_px": image.shape[0],
                    "width_px": image.shape[1],
                }
            )
    with (folder / PAGES_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _usable_works(
    size: ScoresSize, seed: int, excluded: set[str]
) -> Iterator[tuple[str, str, object]]:
    """``(composer, corpus path, score)`` of each composer's first works, in seeded
    order and not in ``excluded``, that have at least ``size.min_measures``
    measures and that music21 can export (a few corpus files hold durations
    MusicXML cannot express)."""
    from music21.exceptions21 import Music21Exception

    needed = size.min_measures
    for composer in COMPOSERS:
        taken = 0
        for work in shuffled_works(composer, seed):
            if work in excluded:
                continue
            score = opening_measures(work, size.max_measures)
            if count_measures(score) < needed:
                continue
            try:
                _musicxml(score)
            except Music21Exception:
                continue
            yield composer, work, score
            taken += 1
            if taken == size.pieces_per_composer:
                break
        else:
            raise DatasetError(
                f"music21 has {taken} usable works by {composer} with {needed}+ measures, "
                f"{size.pieces_per_composer} are needed"
            )


def read_pages_csv(root: str | Path | None = None, *, size: str = "quick") -> list[dict]:
    """Rows of ``pages.csv`` (composer, piece, page, path, source, height/width).

    Raises
    ------
    DatasetError
        The dataset has not been built (the message says how to build it).
    """
    root = Path(root) if root is not None else synthetic_scores_dir(size)
    csv_path = root / PAGES_CSV
    if not csv_path.is_file():
        raise DatasetError(
            f"no {NAME} dataset at {root}; build it with "
            f"`python data_scripts/build_synthetic.py scores --size {size}` or "
            "dlmusic.datasets.synthetic_scores.build_synthetic_scores()"
        )
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def piece_systems(source: str, size: str) -> list[list[tuple[float, float]]]:
    """:func:`engraved_systems` of one piece of a ``size`` build, from its ``source``.

    ``source`` is the music21 corpus path in ``pages.csv``; the piece is
    engraved again with the build's options. Caution: the layout can differ
    from the build's pages when the process engraved other scores before
    (observed for one quick-size piece), so compare with pages engraved in
    the same call where it matters (:func:`engrave_pages_with_systems`).
    """
    require_size(size, SIZES)
    options = SIZES[size]
    return engraved_systems(opening_measures(source, options.max_measures), options.max_pages)
