"""A folder of sheet music, one sub-folder per composer, read into score pages.

Three ways to store a piece are accepted, and may be mixed::

    <root>/<composer>/<piece>/<page images>   # one image per page
    <root>/<composer>/<piece>.pdf             # one PDF page per page
    <root>/<composer>/<piece>.png             # a single-page piece

Page images may be PNG, JPEG or TIFF. Pages of a folder are numbered in
natural sort order of their file names (``p2.png`` before ``p10.png``).
Hidden entries (``.ipynb_checkpoints``, ``.DS_Store``) and other files are
ignored. :func:`load_page_image` renders any page as a grayscale array.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from dlmusic.datasets.records import ScorePage
from dlmusic.errors import DatasetError, MissingFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
"""Page image file types (compared case-insensitively)."""

PDF_POINTS_PER_INCH = 72
"""PDF user-space units per inch: a page rendered at ``dpi`` is scaled by ``dpi / 72``."""

_WHITE = 255


def load_score_folder(root: str | Path) -> list[ScorePage]:
    """Every page under ``root``, sorted by composer, piece, then page.

    Parameters
    ----------
    root : str or Path
        Folder of composer folders (see the module docstring for the layout).

    Returns
    -------
    list of ScorePage
        ``path`` is the page image, or the PDF for PDF pages; ``page``
        counts from 1 within each piece.

    Raises
    ------
    DatasetError
        ``root`` is not a folder or has no composer folders; a composer
        folder holds no pages; a piece folder holds no page images; two
        entries name the same piece; a PDF cannot be read.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"no sheet-music folder at {root}")
    composers = [entry for entry in _visible_entries(root) if entry.is_dir()]
    if not composers:
        raise DatasetError(
            f"{root} holds no composer folders; expected <root>/<composer>/<piece>.pdf, "
            "<root>/<composer>/<piece>.png or <root>/<composer>/<piece>/<page images>"
        )
    return [page for folder in composers for page in _composer_pages(folder)]


def _composer_pages(folder: Path) -> list[ScorePage]:
    """The pages of every piece in one composer's folder."""
    pages: list[ScorePage] = []
    seen: dict[str, Path] = {}
    for entry in _visible_entries(folder):
        piece_pages = _piece_pages(folder.name, entry)
        if not piece_pages:
            continue
        piece = piece_pages[0].piece
        if piece in seen:
            raise DatasetError(f"piece {piece!r} is stored twice: {seen[piece]} and {entry}")
        seen[piece] = entry
        pages.extend(piece_pages)
    if not pages:
        raise DatasetError(
            f"composer folder {folder} holds no pages "
            f"(PDFs, {'/'.join(IMAGE_SUFFIXES)} images, or piece folders of images)"
        )
    return pages


def _piece_pages(composer: str, entry: Path) -> list[ScorePage]:
    """The pages of the piece stored at ``entry`` (empty when it is no piece)."""
    if entry.is_dir():
        images = [path for path in _visible_entries(entry) if _is_image(path)]
        if not images:
            raise DatasetError(
                f"piece folder {entry} holds no page images ({'/'.join(IMAGE_SUFFIXES)})"
            )
        return [
            ScorePage(composer, entry.name, number, path) for number, path in enumerate(images, 1)
        ]
    if entry.suffix.lower() == ".pdf":
        n_pages = _pdf_page_count(entry)
        return [ScorePage(composer, entry.stem, number, entry) for number in range(1, n_pages + 1)]
    if _is_image(entry):
        return [ScorePage(composer, entry.stem, 1, entry)]
    return []


def _visible_entries(folder: Path) -> list[Path]:
    """Non-hidden entries of ``folder`` in natural sort order."""
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    return sorted(entries, key=lambda entry: (_natural_key(entry.name), entry.name))


def _natural_key(name: str) -> tuple[str | int, ...]:
    """Sort key that orders embedded numbers by value (``p2`` before ``p10``)."""
    parts = re.split(r"(\d+)", name)  # text, number, text, ...: numbers at odd indices
    return tuple(int(part) if index % 2 else part.lower() for index, part in enumerate(parts))


def _is_image(path: Path) -> bool:
    """Whether ``path`` is a file with a page-image suffix."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def _pdf_page_count(path: Path) -> int:
    """Number of pages of a PDF, raising :class:`DatasetError` if it cannot be read."""
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as err:
        raise DatasetError(f"cannot read PDF {path}: {err}") from err
    try:
        n_pages = len(document)
    finally:
        document.close()
    if n_pages == 0:
        raise DatasetError(f"PDF {path} has no pages")
    return n_pages


def load_page_image(page: ScorePage, *, dpi: float = 150) -> np.ndarray:
    """One page as a grayscale image, white paper = 255.

    Parameters
    ----------
    page : ScorePage
        A page from :func:`load_score_folder`.
    dpi : float
        Resolution (dots per inch) at which PDF pages are rendered; image
        files are returned at their own resolution.

    Returns
    -------
    np.ndarray, shape (height, width), dtype uint8
        Transparent areas of an image are rendered as white paper.

    Raises
    ------
    MissingFileError
        The file does not exist.
    DatasetError
        The file cannot be decoded, or the PDF has no such page.
    """
    path = Path(page.path)
    if not path.is_file():
        raise MissingFileError(f"no score page file at {path}")
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    if path.suffix.lower() == ".pdf":
        return _render_pdf_page(path, page.page, dpi)
    return _read_image(path)


def _render_pdf_page(path: Path, number: int, dpi: float) -> np.ndarray:
    """Render page ``number`` (from 1) of a PDF at ``dpi`` as grayscale ``uint8``."""
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as err:
        raise DatasetError(f"cannot read PDF {path}: {err}") from err
    try:
        if not 1 <= number <= len(document):
            raise DatasetError(f"PDF {path} has {len(document)} pages, no page {number}")
        bitmap = document[number - 1].render(scale=dpi / PDF_POINTS_PER_INCH, grayscale=True)
        image = bitmap.to_pil().convert("L")
    except pdfium.PdfiumError as err:
        raise DatasetError(f"cannot render page {number} of PDF {path}: {err}") from err
    finally:
        document.close()
    return np.asarray(image, dtype=np.uint8)


def _read_image(path: Path) -> np.ndarray:
    """Decode an image file as grayscale ``uint8``, flattening transparency onto white."""
    try:
        with Image.open(path) as image:
            image.load()
            gray = _to_gray(image)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise DatasetError(f"cannot read score image {path}: {err}") from err
    return np.asarray(gray, dtype=np.uint8)


def _to_gray(image: Image.Image) -> Image.Image:
    """Grayscale ``L`` copy of ``image``; transparent pixels become white paper."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (_WHITE, _WHITE, _WHITE, _WHITE))
        return Image.alpha_composite(paper, rgba).convert("L")
    return image.convert("L")
