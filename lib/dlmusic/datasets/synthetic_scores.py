"""``synthetic_scores``: piano reductions of works by five composers, engraved alike.

The default corpus of the ``composer`` notebook. Works by Bach, Beethoven,
Monteverdi, Mozart and Palestrina from the music21 corpus are reduced to a
grand staff (every sounding note, notes from middle C up on the treble staff,
the rest on the bass staff) with no lyrics, part names, title, tempo words or
dynamics, engraved with verovio in one layout and rasterised with cairosvg as
grayscale PNG pages::

    <root>/<composer>/<work>/page-01.png

the layout :func:`dlmusic.datasets.sheet_folder.load_score_folder` reads, so a
folder of real scanned pages can replace it. A *work* (a cantata, a quartet, a
mass, a madrigal) holds all its movements' pages, numbered on, so a split by
this folder keeps the movements of a work together. ``pages.csv`` lists every
page with its work and its movement's music21 source.

Composers: those with at least five works in the music21 corpus whose
notation can be engraved (Haydn has two, so a split by work could not put one
in training, one in testing and two aside for grading). Works are grouped by
:func:`work_of`. A fixed share of each composer's works
(:func:`reserved_works`, at least :data:`HELDOUT_WORKS_PER_COMPOSER`) is kept
for grading: only the ``heldout`` size engraves them.

Engraving: :data:`UNIFORM` for every composer, or, for the shortcut lesson,
``engraving="by_composer"``: each composer's pages in their own style
(:data:`BY_COMPOSER`: music font, staff size, page width), as if each came
from its own publisher. :func:`engraved_systems` asks verovio where it drew
each staff system, the ground truth for the row slicer of
:mod:`dlmusic.composer.rows`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from dlmusic.datasets.build_cache import build_once, require_size, slugify
from dlmusic.datasets.paths import dataset_dir
from dlmusic.errors import DatasetError

NAME = "synthetic_scores"
PAGES_CSV = "pages.csv"
COMPOSERS = ("bach", "beethoven", "monteverdi", "mozart", "palestrina")
SCORE_SUFFIXES = (".mxl", ".xml", ".krn")
MIN_WORKS = 3
"""Fewest works per composer a build accepts (a train, a dev and a test work)."""
HELDOUT_WORKS_PER_COMPOSER = 2
"""Works per composer that the ``heldout`` size engraves for grading."""
RESERVED_SHARE = 0.25
"""Share of each composer's works kept for grading (at least
:data:`HELDOUT_WORKS_PER_COMPOSER`), so a grading seed chooses among several."""
MIDDLE_C_MIDI = 60
"""Notes from this MIDI pitch up go on the treble staff of the reduction."""
PAGE_WIDTH_PX = 1240
"""Raster width of a page: A4 at 150 dpi."""
A4_RATIO = 2970 / 2100
UNIFORM = {
    "pageWidth": 2100,
    "pageHeight": 2970,
    "pageMarginTop": 100,
    "pageMarginBottom": 100,
    "scale": 40,
    "font": "Leipzig",
    "header": "none",
    "footer": "none",
    "breaks": "auto",
    "adjustPageHeight": False,
}
"""verovio options of the uniform engraving (every composer alike)."""
BY_COMPOSER = {
    "bach": {"font": "Leipzig", "scale": 40, "pageWidth": 2100},
    "beethoven": {"font": "Bravura", "scale": 56, "pageWidth": 2100},
    "monteverdi": {"font": "Gootville", "scale": 34, "pageWidth": 2600},
    "mozart": {"font": "Leland", "scale": 46, "pageWidth": 2000},
    "palestrina": {"font": "Petaluma", "scale": 38, "pageWidth": 2400},
}
"""Per-composer changes to :data:`UNIFORM` for ``engraving="by_composer"``
(page height follows the width, A4 proportions). Rows are scaled to one width,
so what a row shows of the style is the font and the staff size relative to
the page, ``scale / pageWidth``: 0.013 to 0.027 here, 0.019 for uniform pages."""
ENGRAVINGS = ("uniform", "by_composer", "by_work")
"""``by_work``: each work in one of the :data:`BY_COMPOSER` styles, drawn per
work (as if every work came from its own edition): a cue shared by the rows of
a work and not by a composer's works, the leak of a random row split made
visible."""


@dataclass(frozen=True)
class ScoresSize:
    """How much of the corpus a build engraves.

    Works are taken in seeded order until a composer has ``pages_per_composer``
    pages or ``works_per_composer`` works (``None``: no limit); of each work,
    its first ``movements_per_work`` movements that have at least
    ``min_measures`` measures, each cut to ``max_measures`` measures and at
    most ``pages_per_movement`` pages.
    """

    works_per_composer: int | None
    pages_per_composer: int
    movements_per_work: int
    min_measures: int
    max_measures: int
    pages_per_movement: int


SIZES = {
    "quick": ScoresSize(3, 3, 1, 8, 16, 1),
    "small": ScoresSize(6, 999, 2, 12, 48, 1),
    "full": ScoresSize(None, 20, 3, 12, 64, 2),
    "heldout": ScoresSize(HELDOUT_WORKS_PER_COMPOSER, 999, 2, 12, 48, 1),
}
"""``small`` chooses its works by count only, so its ``uniform`` and
``by_composer`` builds hold the same works (the shortcut lesson compares
them). ``heldout`` is for grading: two of the reserved works per composer
(:func:`reserved_works`); notebooks never load it."""


def synthetic_scores_dir(size: str = "quick", engraving: str = "uniform") -> Path:
    """Where a build lives: ``data_dir()/synthetic_scores/<size>`` (``<size>-by_composer``)."""
    require_size(size, SIZES)
    _require_engraving(engraving)
    return dataset_dir(NAME) / (size if engraving == "uniform" else f"{size}-{engraving}")


def _require_engraving(engraving: str) -> None:
    if engraving not in ENGRAVINGS:
        raise DatasetError(f"unknown engraving {engraving!r}; expected one of {ENGRAVINGS}")


def work_of(corpus_path: str) -> str:
    """The work a music21 corpus file belongs to, ``"<composer>/<work>"``.

    A movement in a folder belongs to the folder (``mozart/k458/movement2.mxl``
    -> ``mozart/k458``); a Bach chorale to its cantata or oratorio
    (``bach/bwv248.42-4.mxl`` -> ``bach/bwv248``); a Palestrina mass section to
    its mass (``palestrina/Agnus_I_05.krn`` -> ``palestrina/mass05``; the
    sections without a number are one mass, ``palestrina/mass``); an older
    edition to its work (``madrigal.3.1_old`` -> ``madrigal.3.1``); anything
    else is a work by itself.
    """
    parts = corpus_path.split("/")
    composer, stem = parts[0], parts[-1].rsplit(".", 1)[0]
    if len(parts) > 2:
        return f"{composer}/{parts[1]}"
    if composer == "bach" and (match := re.match(r"bwv\d+", stem)):
        return f"{composer}/{match[0]}"
    if composer == "palestrina":
        match = re.search(r"_(\d+)(?:_[a-z])?$", stem)
        return f"{composer}/mass{match[1] if match else ''}"
    return f"{composer}/{stem.removesuffix('_old')}"


def composer_works(composer: str) -> dict[str, list[str]]:
    """music21 corpus paths of ``composer``'s movements, grouped by :func:`work_of`.

    Where a movement exists in several formats (``.krn`` and ``.mxl``) the
    MusicXML file is kept. Works and movements are sorted.
    """
    from music21 import corpus

    by_movement: dict[str, Path] = {}
    for path in sorted(corpus.getComposer(composer)):
        if path.suffix not in SCORE_SUFFIXES:
            continue
        movement = path.with_suffix("").as_posix()
        if movement not in by_movement or path.suffix in (".mxl", ".xml"):
            by_movement[movement] = path
    works: dict[str, list[str]] = {}
    for path in sorted(by_movement.values()):
        relative = path.as_posix().split("/corpus/", 1)[1]
        works.setdefault(work_of(relative), []).append(relative)
    return works


def reserved_works(composer: str) -> list[str]:
    """``composer``'s works kept for grading (the same for every seed), sorted."""
    works = sorted(composer_works(composer))
    order = np.random.default_rng([0, COMPOSERS.index(composer)]).permutation(len(works))
    n_reserved = max(HELDOUT_WORKS_PER_COMPOSER, round(RESERVED_SHARE * len(works)))
    return sorted(works[i] for i in order[:n_reserved])


def shuffled_works(composer: str, seed: int, *, reserved: bool = False) -> list[str]:
    """``composer``'s course works (or ``reserved`` ones) in a seeded order."""
    held = set(reserved_works(composer))
    works = [work for work in sorted(composer_works(composer)) if (work in held) == reserved]
    order = np.random.default_rng([seed, COMPOSERS.index(composer)]).permutation(len(works))
    return [works[i] for i in order]


def opening_measures(corpus_path: str, max_measures: int):
    """The first ``max_measures`` measures of a corpus movement (a music21 Score)."""
    from music21 import corpus

    return corpus.parse(corpus_path).measures(1, max_measures)


def count_measures(score) -> int:
    """Measures in the score's first part."""
    return len(score.parts[0].getElementsByClass("Measure"))


def piano_reduction(score):
    """Every sounding note of ``score`` on one grand staff, and nothing else.

    The score is chordified; each chord's notes from middle C up go to the
    treble staff, the others to the bass staff (a rest where a staff has
    none). Key and time signatures are kept; lyrics, part names, titles,
    tempo and expression words, dynamics and articulations are not.

    Returns
    -------
    music21.stream.Score
        Two staves joined by a brace.
    """
    from music21 import chord, clef, key, layout, metadata, meter, note, stream

    chords = score.chordify()
    staves = (stream.PartStaff(), stream.PartStaff())
    clefs = (clef.TrebleClef, clef.BassClef)
    for number, measure in enumerate(chords.getElementsByClass(stream.Measure)):
        bars = [stream.Measure(number=measure.number) for _ in staves]
        for bar, make_clef in zip(bars, clefs, strict=True):
            for kind in (key.KeySignature, meter.TimeSignature):
                found = measure.getElementsByClass(kind).first()
                if found is None and number == 0:
                    found = measure.getContextByClass(kind)
                if found is not None:
                    bar.insert(0, copy.deepcopy(found))
            if number == 0:
                bar.insert(0, make_clef())
        for element in measure.notesAndRests:
            pitches = element.pitches if isinstance(element, chord.Chord) else ()
            upper = [p for p in pitches if p.midi >= MIDDLE_C_MIDI]
            lower = [p for p in pitches if p.midi < MIDDLE_C_MIDI]
            for bar, kept in zip(bars, (upper, lower), strict=True):
                written = chord.Chord(kept) if kept else note.Rest()
                written.duration = copy.deepcopy(element.duration)
                bar.insert(element.offset, written)
        for staff, bar in zip(staves, bars, strict=True):
            staff.append(bar)
    reduction = stream.Score(list(staves))
    reduction.insert(0, layout.StaffGroup(list(staves), symbol="brace", barTogether=True))
    reduction.metadata = metadata.Metadata(title="", composer="")
    return reduction


def engraving_options(composer: str, engraving: str = "uniform", work: str = "") -> dict:
    """verovio options for the pages of ``composer``'s ``work`` under ``engraving``.

    ``work`` (``"<composer>/<work>"``) matters only for ``by_work``, whose style
    is drawn from a hash of it (the same in every process).
    """
    _require_engraving(engraving)
    options = dict(UNIFORM)
    if engraving == "by_composer":
        options.update(BY_COMPOSER[composer])
    elif engraving == "by_work":
        styles = list(BY_COMPOSER.values())
        options.update(styles[zlib.crc32(work.encode("utf-8")) % len(styles)])
    options["pageHeight"] = round(options["pageWidth"] * A4_RATIO)
    return options


def engrave_pages(
    score, max_pages: int, options: Mapping[str, object] = UNIFORM
) -> list[np.ndarray]:
    """Engrave a music21 score as grayscale pages.

    Returns
    -------
    list of np.ndarray, each shape (height_px, PAGE_WIDTH_PX), uint8
        White (255) paper, black (0) ink; at most ``max_pages`` pages.
    """
    return engrave_pages_with_systems(score, max_pages, options)[0]


def engraved_systems(
    score, max_pages: int, options: Mapping[str, object] = UNIFORM
) -> list[list[tuple[float, float]]]:
    """Where verovio draws each staff system on the pages :func:`engrave_pages` makes.

    Returns
    -------
    list (one per page) of list (one per system, top to bottom) of (top_px, bottom_px)
        Rows of the rasterised page (``PAGE_WIDTH_PX`` wide) of the system's
        top and bottom staff lines: the extent of its staves, without notes,
        slurs or text above and below them.
    """
    return engrave_pages_with_systems(score, max_pages, options)[1]


def engrave_pages_with_systems(
    score, max_pages: int, options: Mapping[str, object] = UNIFORM
) -> tuple[list[np.ndarray], list[list[tuple[float, float]]]]:
    """:func:`engrave_pages` and :func:`engraved_systems` of one engraving (one layout)."""
    import cairosvg

    toolkit = _engraving_toolkit(score, options)
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


def _engraving_toolkit(score, options: Mapping[str, object]):
    """A verovio toolkit holding ``score``, laid out with ``options``."""
    import verovio

    verovio.enableLog(False)
    toolkit = verovio.toolkit()
    toolkit.setOptions(dict(options))
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
    engraving: str = "uniform",
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Engrave every page (unless an identical build is already there).

    Parameters
    ----------
    root : path or None
        Default :func:`synthetic_scores_dir` of ``size`` and ``engraving``.
    size : {"quick", "full", "heldout"}
    seed : int
        Chooses the works (the reserved ones for ``heldout``).
    engraving : {"uniform", "by_composer", "by_work"}
        One layout for all, each composer's own (the shortcut lesson), or each
        work's own (the leak made visible).

    Returns
    -------
    Path
        The dataset folder, holding one folder per composer and :data:`PAGES_CSV`.
    """
    require_size(size, SIZES)
    _require_engraving(engraving)
    root = Path(root) if root is not None else synthetic_scores_dir(size, engraving)
    params = {
        "dataset": NAME,
        "size": asdict(SIZES[size]),
        "seed": seed,
        "engraving": {c: engraving_options(c, engraving) for c in COMPOSERS},
    }
    if engraving == "by_work":
        params["styles"] = list(BY_COMPOSER.values())

    def build(folder: Path) -> None:
        _engrave_all(folder, size, seed, engraving, progress)

    return build_once(root, params, build, force=force)


def _engrave_all(folder: Path, size: str, seed: int, engraving: str, progress: bool) -> None:
    rows = []
    bar = tqdm(desc=NAME, unit="work", disable=not progress)
    for composer, work, movements in _works(size, seed, engraving):
        bar.update()
        piece = slugify(work.split("/", 1)[1])
        number = 0
        for source, pages, systems in movements:
            for image, extents in zip(pages, systems, strict=True):
                number += 1
                path = folder / composer / piece / f"page-{number:02d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(image).save(path, optimize=False)
                rows.append(
                    {
                        "composer": composer,
                        "piece": piece,
                        "page": number,
                        "path": path.relative_to(folder).as_posix(),
                        "source": source,
                        "height_px": image.shape[0],
                        "width_px": image.shape[1],
                        "systems": json.dumps([[round(t, 1), round(b, 1)] for t, b in extents]),
                    }
                )
    bar.close()
    with (folder / PAGES_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def movement_reduction(source: str, size: str):
    """The piano reduction of one movement as a ``size`` build engraves it.

    Raises
    ------
    DatasetError
        Fewer than the size's ``min_measures`` measures.
    music21.exceptions21.Music21Exception
        music21 cannot export it (a few corpus files hold durations MusicXML
        cannot express).
    """
    options = SIZES[size]
    score = opening_measures(source, options.max_measures)
    if count_measures(score) < options.min_measures:
        raise DatasetError(f"{source} has fewer than {options.min_measures} measures")
    reduction = piano_reduction(score)
    _musicxml(reduction)
    return reduction


def _works(size: str, seed: int, engraving: str) -> Iterator[tuple[str, str, list[tuple]]]:
    """``(composer, work, [(movement source, pages, systems), ...])`` in build order,
    pages and systems as :func:`engrave_pages_with_systems` returns them."""
    from music21.exceptions21 import Music21Exception

    options = SIZES[size]
    for composer in COMPOSERS:
        taken = pages_taken = 0
        for work in shuffled_works(composer, seed, reserved=size == "heldout"):
            style = engraving_options(composer, engraving, work)
            movements = []
            for source in composer_works(composer)[work]:
                try:
                    reduction = movement_reduction(source, size)
                except (DatasetError, Music21Exception):
                    continue
                movements.append(
                    (
                        source,
                        *engrave_pages_with_systems(reduction, options.pages_per_movement, style),
                    )
                )
                if len(movements) == options.movements_per_work:
                    break
            if not movements:
                continue
            yield composer, work, movements
            taken += 1
            pages_taken += sum(len(pages) for _, pages, _ in movements)
            if taken == options.works_per_composer or pages_taken >= options.pages_per_composer:
                break
        needed = min(MIN_WORKS, options.works_per_composer or MIN_WORKS)
        if taken < needed:
            raise DatasetError(
                f"music21 has {taken} usable works by {composer}, {needed} are needed"
            )


def read_pages_csv(
    root: str | Path | None = None, *, size: str = "quick", engraving: str = "uniform"
) -> list[dict]:
    """Rows of ``pages.csv`` (composer, piece = work, page, path, source, height/width, systems).

    ``systems`` is JSON: ``[[top_px, bottom_px], ...]``, where verovio drew each
    staff system on that page (:func:`engraved_systems`), the slicer's ground truth.

    Raises
    ------
    DatasetError
        The dataset has not been built (the message says how to build it).
    """
    root = Path(root) if root is not None else synthetic_scores_dir(size, engraving)
    csv_path = root / PAGES_CSV
    if not csv_path.is_file():
        raise DatasetError(
            f"no {NAME} dataset at {root}; build it with "
            f"`python data_scripts/build_synthetic.py scores --size {size}` or "
            "dlmusic.datasets.synthetic_scores.build_synthetic_scores()"
        )
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
