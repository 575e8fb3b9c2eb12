"""MUSDB18-HQ and MUSDB18: 150 songs with vocals, drums, bass and other stems.

MUSDB18-HQ (Rafii et al., 2019; https://sigsep.github.io/datasets/musdb.html)
ships uncompressed stereo WAVs at 44.1 kHz in the layout
``{train,test}/<Artist - Title>/{mixture,vocals,drums,bass,other}.wav`` that
:func:`~dlmusic.datasets.records.list_stem_tracks` reads; the archive
(22 GB) unpacks into ``dataset_dir("musdb18hq")`` (or ``root``).

The original MUSDB18 ships one AAC-compressed ``.stem.mp4`` per song instead.
:func:`convert_stem_mp4_to_wav` decodes those (optional ``musdb`` package and
the ``ffmpeg`` program required) into the same WAV layout, so one reader
serves both. :func:`load_musdb18_previews` does it all for MUSDB18's
7-second previews (the sample the ``musdb`` package downloads, 144 songs,
about 160 MB): download, decode, list.

Every loader returns :class:`~dlmusic.datasets.records.StemTrack` objects
whose ``load`` mixes the stereo 44.1 kHz files down to mono and resamples
them to 22050 Hz, so the notebooks see real songs exactly as they see the
synthetic ones.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
from tqdm import tqdm

from dlmusic.audio import write_audio
from dlmusic.datasets.download import download, extract_zip, extraction_marker
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.records import (
    ACCOMPANIMENT_STEMS,
    STEM_SUBSETS,
    StemTrack,
    list_stem_tracks,
)
from dlmusic.errors import DatasetError, DlmusicError

MUSDB18HQ_NAME = "musdb18hq"
"""Folder name under :func:`~dlmusic.datasets.paths.data_dir`."""

MUSDB18HQ_URL = "https://zenodo.org/records/3338373/files/musdb18hq.zip"
"""The MUSDB18-HQ archive on Zenodo (22 GB)."""

# SHA-256 of musdb18hq.zip as torchaudio's MUSDB_HQ dataset verifies it
# (pytorch/audio, src/torchaudio/datasets/musdb_hq.py); Zenodo itself lists an MD5.
MUSDB18HQ_SHA256 = "baac80d0483c61d74b2e5f3be75fa557eec52898339e6aa45c1fa48833c5d21d"

MUSDB18HQ_ARCHIVE_NAME = "musdb18hq.zip"

MUSDB18_PREVIEWS_NAME = "musdb18_previews"
"""Folder name of the 7-second previews: ``stem_mp4/`` as downloaded, ``wav/`` decoded."""
PREVIEWS_DONE = ".decoded"
"""Marker written in ``wav/`` once every preview has been decoded."""

HQ_STEM_FILES = ("mixture", "vocals", "drums", "bass", "other")
"""The WAV files (without ``.wav``) every MUSDB18-HQ track folder holds."""

WAV_STEMS = ("mixture", "vocals", "accompaniment", "drums", "bass", "other")
"""The WAV files (without ``.wav``) :func:`convert_stem_mp4_to_wav` writes."""

_DOWNLOAD_HINT = (
    "run `python data_scripts/download_musdb.py` or dlmusic.datasets.musdb.download_musdb18hq()"
)
_MISSING_SHOWN = 5


def musdb18hq_dir(root: str | Path | None = None) -> Path:
    """The MUSDB18-HQ folder: ``root`` if given, else ``dataset_dir("musdb18hq")``."""
    return Path(root) if root is not None else dataset_dir(MUSDB18HQ_NAME)


def download_musdb18hq(root: str | Path | None = None, progress: bool = True) -> Path:
    """Download and unpack MUSDB18-HQ (skipped when already unpacked).

    The archive is verified against its SHA-256, unpacked into the dataset
    folder and then deleted to save disk space. An interrupted download
    resumes.

    Parameters
    ----------
    root : str, Path or None
        Dataset folder; ``None`` uses ``dataset_dir("musdb18hq")``.
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        The dataset folder, holding ``train/`` and ``test/``.

    Raises
    ------
    DownloadError, ChecksumError, DatasetError
    """
    root = musdb18hq_dir(root)
    archive = root / MUSDB18HQ_ARCHIVE_NAME
    if extraction_marker(archive, root).is_file():
        return root
    download(MUSDB18HQ_URL, archive, sha256=MUSDB18HQ_SHA256, progress=progress)
    extract_zip(archive, root, progress=progress)
    archive.unlink()
    return root


def load_musdb18hq(root: str | Path | None = None, subset: str | None = None) -> list[StemTrack]:
    """The MUSDB18-HQ tracks, sorted by subset then name.

    Parameters
    ----------
    root : str, Path or None
        Folder holding ``train/`` and ``test/``; ``None`` uses
        ``dataset_dir("musdb18hq")``.
    subset : str or None
        ``"train"`` or ``"test"``; ``None`` returns both.

    Returns
    -------
    list of StemTrack
        Load stems with ``track.load("vocals")`` (mono, 22050 Hz by default);
        ``"accompaniment"`` is summed from drums, bass and other.

    Raises
    ------
    DatasetError
        The folder is absent (the message says how to download it), holds
        no tracks, ``subset`` is unknown, or a track lacks a stem file.
    """
    root = musdb18hq_dir(root)
    if subset is not None and subset not in STEM_SUBSETS:
        raise DatasetError(f"unknown MUSDB18 subset {subset!r}; expected one of {STEM_SUBSETS}")
    if not any((root / name).is_dir() for name in STEM_SUBSETS):
        raise DatasetError(
            f"MUSDB18-HQ not found: no train/ or test/ folder in {root}; {_DOWNLOAD_HINT}"
        )
    tracks = list_stem_tracks(root, subset)
    if not tracks:
        raise DatasetError(f"no tracks (folders with mixture.wav and vocals.wav) under {root}")
    _require_stems(tracks, root)
    return tracks


def load_musdb18_previews(
    root: str | Path | None = None,
    subset: str | None = None,
    *,
    download: bool = True,
    progress: bool = True,
) -> list[StemTrack]:
    """MUSDB18's 7-second previews, downloaded by ``musdb`` and decoded to WAV once.

    Parameters
    ----------
    root : str, Path or None
        Folder for ``stem_mp4/`` (the download) and ``wav/`` (the decoded
        layout); ``None`` uses ``dataset_dir("musdb18_previews")``.
    subset : str or None
        ``"train"`` or ``"test"``; ``None`` returns both.
    download : bool
        Fetch the previews with ``musdb.DB(download=True)`` when they are not
        there yet (needs the internet, e.g. on Colab).
    progress : bool
        Show a progress bar while decoding.

    Returns
    -------
    list of StemTrack
        As :func:`load_musdb18hq` returns them (``track.load`` gives mono
        22050 Hz).

    Raises
    ------
    DlmusicError
        ``ffmpeg``/``ffprobe`` or the ``musdb`` package is missing (the
        message says how to install them).
    DatasetError
        The previews are not there and ``download`` is off, or the download
        holds no ``.stem.mp4`` files.
    """
    root = Path(root) if root is not None else dataset_dir(MUSDB18_PREVIEWS_NAME)
    wav_root, mp4_root = root / "wav", root / "stem_mp4"
    if not (wav_root / PREVIEWS_DONE).is_file():
        musdb = _import_musdb()
        if not (mp4_root / "train").is_dir():
            if not download:
                raise DatasetError(
                    f"MUSDB18 previews not found in {mp4_root}; call "
                    "load_musdb18_previews(download=True) where the internet is reachable"
                )
            musdb.DB(root=str(mp4_root), download=True)
        convert_stem_mp4_to_wav(mp4_root, wav_root, progress=progress)
        (wav_root / PREVIEWS_DONE).touch()
    return load_musdb18hq(wav_root, subset)


def _require_stems(tracks: list[StemTrack], root: Path) -> None:
    """Raise :class:`DatasetError` naming the first stem files missing from ``tracks``."""
    missing = [
        track.folder / f"{stem}.wav"
        for track in tracks
        for stem in HQ_STEM_FILES
        if not (track.folder / f"{stem}.wav").is_file()
    ]
    if missing:
        shown = ", ".join(path.relative_to(root).as_posix() for path in missing[:_MISSING_SHOWN])
        raise DatasetError(
            f"{len(missing)} stem files are missing under {root}: {shown}"
            f" (the download may be incomplete: {_DOWNLOAD_HINT})"
        )


def convert_stem_mp4_to_wav(
    mus_root: str | Path,
    out_root: str | Path,
    subset: str | None = None,
    *,
    progress: bool = True,
) -> Path:
    """Decode MUSDB18 ``.stem.mp4`` files into the MUSDB18-HQ WAV layout.

    Each ``<mus_root>/<subset>/<name>.stem.mp4`` becomes the folder
    ``<out_root>/<subset>/<name>/`` holding ``mixture``, ``vocals``,
    ``accompaniment`` (drums + bass + other), ``drums``, ``bass`` and
    ``other`` as 16-bit stereo WAVs at the file's rate (44.1 kHz), readable
    with :func:`load_musdb18hq` (``root=out_root``). Finished tracks are
    skipped, so an interrupted conversion can be restarted.

    Parameters
    ----------
    mus_root : str or Path
        Folder holding ``train/`` and/or ``test/`` with ``.stem.mp4`` files.
    out_root : str or Path
        Where the WAV layout is written.
    subset : str or None
        ``"train"`` or ``"test"``; ``None`` converts both.
    progress : bool
        Show a progress bar (tracks).

    Returns
    -------
    Path
        ``out_root``.

    Raises
    ------
    DlmusicError
        The ``musdb`` package or the ``ffmpeg``/``ffprobe`` programs are missing.
    DatasetError
        ``subset`` is unknown or ``mus_root`` holds no ``.stem.mp4`` files.
    """
    musdb = _import_musdb()
    mus_root, out_root = Path(mus_root), Path(out_root)
    if subset is not None and subset not in STEM_SUBSETS:
        raise DatasetError(f"unknown MUSDB18 subset {subset!r}; expected one of {STEM_SUBSETS}")
    subsets = list(STEM_SUBSETS) if subset is None else [subset]
    database = musdb.DB(root=str(mus_root), subsets=subsets, is_wav=False)
    if not database.tracks:
        raise DatasetError(f"no .stem.mp4 files in {mus_root}/{{{','.join(subsets)}}}/")
    stem_ids = database.setup["stem_ids"]
    for track in tqdm(database.tracks, desc="MUSDB18 -> wav", disable=not progress):
        folder = out_root / track.subset / track.name
        if all((folder / f"{stem}.wav").is_file() for stem in WAV_STEMS):
            continue
        _write_track(track.stems, stem_ids, int(track.rate), folder, out_root / ".partial")
    shutil.rmtree(out_root / ".partial", ignore_errors=True)
    return out_root


def _import_musdb() -> ModuleType:
    """The ``musdb`` module, after checking that ffmpeg and ffprobe are installed."""
    missing = [program for program in ("ffmpeg", "ffprobe") if shutil.which(program) is None]
    if missing:
        raise DlmusicError(
            f"decoding .stem.mp4 files needs {' and '.join(missing)}, not found on the PATH "
            "(Colab/Debian: `apt-get install ffmpeg`; conda: `conda install ffmpeg`)"
        )
    try:
        return importlib.import_module("musdb")
    except ImportError as err:
        raise DlmusicError(
            "decoding .stem.mp4 files needs the optional musdb package: "
            "`pip install musdb` (or `pip install dlmusic[musdb]`)"
        ) from err


def _write_track(
    stems: np.ndarray, stem_ids: dict[str, int], sr: int, folder: Path, scratch: Path
) -> None:
    """Write one decoded track's six WAVs, then move them into ``folder`` in one step.

    ``stems`` has shape ``(n_stems, n_samples, n_channels)``, indexed by
    ``stem_ids``; writing happens under ``scratch`` so an interrupted
    conversion never leaves a half-written track folder behind.
    """
    audio = {name: stems[index].T for name, index in stem_ids.items()}
    audio["accompaniment"] = np.sum([audio[name] for name in ACCOMPANIMENT_STEMS], axis=0)
    staging = scratch / folder.parent.name / folder.name
    shutil.rmtree(staging, ignore_errors=True)
    for name in WAV_STEMS:
        samples = np.clip(audio[name], -1.0, 1.0).astype(np.float32)
        write_audio(staging / f"{name}.wav", samples, sr)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.replace(folder)
