"""Loaders of the real corpora (MAESTRO, MUSDB18(-HQ), sheet-music folders) on tiny fixtures.

Every fixture is built in ``tmp_path``; downloads come from a local HTTP
server, so the tests need no internet.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import re
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import numpy as np
import pretty_midi
import pytest
import soundfile as sf
from PIL import Image

from dlmusic.datasets import maestro, musdb
from dlmusic.datasets.records import MAESTRO_COLUMNS, ScorePage
from dlmusic.datasets.sheet_folder import load_page_image, load_score_folder
from dlmusic.errors import ChecksumError, DatasetError, DlmusicError, MissingFileError
from dlmusic_instructor import COURSE_ROOT

SR_HZ = 44100
QUANTUM = 1 / 32768  # one 16-bit PCM step


# --------------------------------------------------------------------------- helpers


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def web_root(tmp_path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1: ``(folder, base_url)``."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> str:
    """Zip every file under ``folder`` as ``prefix + relative path``; return its SHA-256."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, prefix + path.relative_to(folder).as_posix())
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def load_script(name: str) -> ModuleType:
    """Import ``data_scripts/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, COURSE_ROOT / "data_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sine(freq_hz: float, seconds: float, amplitude: float = 0.2) -> np.ndarray:
    """A stereo sine, channels first, ``float32``."""
    t = np.arange(int(seconds * SR_HZ)) / SR_HZ
    mono = amplitude * np.sin(2 * np.pi * freq_hz * t)
    return np.stack([mono, 0.5 * mono]).astype(np.float32)


# --------------------------------------------------------------------------- MAESTRO

MAESTRO_ROWS = [
    ("Johann Sebastian Bach", "Prelude and Fugue in C Major, WTC I", "train", 2004, 0.3),
    ("Frédéric Chopin", "Ballade No. 1 in G Minor, Op. 23", "validation", 2006, 0.2),
    ("Franz Liszt", "Mephisto Waltz No. 1", "test", 2008, 0.25),
]


def write_maestro_tree(root: Path, *, with_audio: bool = True) -> Path:
    """A MAESTRO-style folder: the v3 CSV, short WAVs and one-note MIDIs."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / maestro.MAESTRO_CSV_NAME).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MAESTRO_COLUMNS)
        for index, (composer, title, split, year, seconds) in enumerate(MAESTRO_ROWS):
            stem = (
                f"{year}/MIDI-Unprocessed_{index:02d}_R1_{year}_01-03_ORIG_MID--AUDIO_{index:02d}"
            )
            write_midi(root / f"{stem}.midi", seconds)
            if with_audio:
                sf.write(root / f"{stem}.wav", sine(220.0, seconds).T, SR_HZ, subtype="PCM_16")
            writer.writerow([composer, title, split, year, f"{stem}.midi", f"{stem}.wav", seconds])
    return root


def write_midi(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=80, pitch=60, start=0.0, end=seconds))
    midi.instruments.append(piano)
    midi.write(str(path))


@pytest.fixture
def maestro_root(tmp_path) -> Path:
    return write_maestro_tree(tmp_path / "maestro-v3.0.0")


def test_load_maestro_reads_every_recording_with_absolute_paths(maestro_root):
    records = maestro.load_maestro(maestro_root)
    assert [rec.split for rec in records] == ["train", "validation", "test"]
    assert records[1].composer == "Frédéric Chopin"
    assert records[2].year == 2008
    assert records[0].duration_s == pytest.approx(0.3)
    assert all(rec.audio_path.is_file() and rec.midi_path.is_file() for rec in records)
    assert pretty_midi.PrettyMIDI(str(records[0].midi_path)).instruments[0].notes[0].pitch == 60


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_load_maestro_filters_by_split(maestro_root, split):
    records = maestro.load_maestro(maestro_root, split=split)
    assert [rec.split for rec in records] == [split]


def test_load_maestro_rejects_unknown_split(maestro_root):
    with pytest.raises(DatasetError, match="unknown MAESTRO split 'valid'"):
        maestro.load_maestro(maestro_root, split="valid")


def test_load_maestro_without_csv_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("DLMUSIC_DATA", str(tmp_path))
    with pytest.raises(DatasetError, match="download_maestro") as info:
        maestro.load_maestro()
    assert str(tmp_path / "maestro-v3.0.0" / "maestro-v3.0.0.csv") in str(info.value)
    assert "data_scripts/download_maestro.py" in str(info.value)


def test_load_maestro_names_missing_audio_files(maestro_root):
    record = maestro.load_maestro(maestro_root, split="test")[0]
    record.audio_path.unlink()
    with pytest.raises(DatasetError, match=r"1 files .* missing: 2008/.*\.wav") as info:
        maestro.load_maestro(maestro_root)
    assert "require_audio=False" in str(info.value)
    assert len(maestro.load_maestro(maestro_root, split="train")) == 1
    assert len(maestro.load_maestro(maestro_root, require_audio=False)) == 3


def test_load_maestro_names_missing_midi_files_even_without_audio(tmp_path):
    root = write_maestro_tree(tmp_path / "maestro", with_audio=False)
    next(root.rglob("*.midi")).unlink()
    with pytest.raises(DatasetError, match=r"\.midi"):
        maestro.load_maestro(root, require_audio=False)


def serve_maestro_zip(
    tmp_path: Path, web_root: tuple[Path, str], name: str, **tree
) -> tuple[str, str]:
    """Zip a MAESTRO tree as the real archive is laid out; return its URL and SHA-256."""
    folder, base_url = web_root
    tree_root = write_maestro_tree(tmp_path / "upstream" / name, **tree)
    sha256 = zip_folder(tree_root, folder / f"{name}.zip", prefix="maestro-v3.0.0/")
    return f"{base_url}/{name}.zip", sha256


def test_download_maestro_downloads_extracts_and_loads(tmp_path, web_root, monkeypatch):
    url, sha256 = serve_maestro_zip(tmp_path, web_root, "maestro-v3.0.0")
    monkeypatch.setattr(maestro, "MAESTRO_ZIP_URL", url)
    monkeypatch.setattr(maestro, "MAESTRO_ZIP_SHA256", sha256)
    root = maestro.download_maestro(tmp_path / "data", progress=False)

    assert root == tmp_path / "data"
    assert (root / "maestro-v3.0.0.csv").is_file()
    assert not (root / "maestro-v3.0.0.zip").exists()
    records = maestro.load_maestro(root, split="validation")
    assert records[0].audio_path.parent == root / "2006"
    assert sf.info(records[0].audio_path).samplerate == SR_HZ

    monkeypatch.setattr(maestro, "MAESTRO_ZIP_URL", "http://never.contacted.invalid/x.zip")
    assert maestro.download_maestro(root, progress=False) == root  # unpacked already: no request


def test_download_maestro_enforces_the_published_checksum(tmp_path, web_root, monkeypatch):
    url, _ = serve_maestro_zip(tmp_path, web_root, "maestro-v3.0.0")
    monkeypatch.setattr(maestro, "MAESTRO_ZIP_URL", url)
    with pytest.raises(ChecksumError, match=maestro.MAESTRO_ZIP_SHA256):
        maestro.download_maestro(tmp_path / "data", progress=False)
    assert not (tmp_path / "data" / "maestro-v3.0.0.csv").exists()


def test_download_maestro_script_fetches_midi_only_archive(tmp_path, web_root, monkeypatch, capsys):
    url, sha256 = serve_maestro_zip(tmp_path, web_root, "maestro-v3.0.0-midi", with_audio=False)
    monkeypatch.setattr(maestro, "MAESTRO_MIDI_ZIP_URL", url)
    monkeypatch.setattr(maestro, "MAESTRO_MIDI_ZIP_SHA256", sha256)
    script = load_script("download_maestro")
    root = tmp_path / "data"

    assert script.main(["--root", str(root), "--midi-only", "--no-progress"]) == 0
    assert "3 recordings" in capsys.readouterr().out
    assert not list(root.rglob("*.wav"))
    assert len(maestro.load_maestro(root, require_audio=False)) == 3


def test_download_maestro_script_reports_failure_with_exit_status(
    tmp_path, web_root, monkeypatch, capsys
):
    url = f"{web_root[1]}/absent.zip"
    monkeypatch.setattr(maestro, "MAESTRO_ZIP_URL", url)
    script = load_script("download_maestro")
    assert script.main(["--root", str(tmp_path / "data"), "--no-progress"]) == 1
    assert f"error: cannot download {url}: HTTP Error 404" in capsys.readouterr().err


# --------------------------------------------------------------------------- MUSDB18-HQ

HQ_FREQS_HZ = {"vocals": 440.0, "drums": 220.0, "bass": 110.0, "other": 330.0}


def write_hq_track(folder: Path, seconds: float = 1.0) -> dict[str, np.ndarray]:
    """A 1-second MUSDB18-HQ track folder (no accompaniment.wav); return its float stems."""
    folder.mkdir(parents=True)
    stems = {name: sine(freq, seconds, 0.15) for name, freq in HQ_FREQS_HZ.items()}
    stems["mixture"] = np.sum(list(stems.values()), axis=0)
    for name, audio in stems.items():
        sf.write(folder / f"{name}.wav", audio.T, SR_HZ, subtype="PCM_16")
    return stems


@pytest.fixture
def hq_root(tmp_path) -> Path:
    root = tmp_path / "musdb18hq"
    write_hq_track(root / "train" / "A Artist - First Song")
    write_hq_track(root / "train" / "B Band - Second Song")
    write_hq_track(root / "test" / "C Choir - Third Song")
    return root


def test_load_musdb18hq_lists_tracks_sorted_and_by_subset(hq_root):
    tracks = musdb.load_musdb18hq(hq_root)
    assert [(t.subset, t.name) for t in tracks] == [
        ("train", "A Artist - First Song"),
        ("train", "B Band - Second Song"),
        ("test", "C Choir - Third Song"),
    ]
    assert [t.name for t in musdb.load_musdb18hq(hq_root, subset="test")] == [
        "C Choir - Third Song"
    ]


def test_accompaniment_is_drums_plus_bass_plus_other(tmp_path):
    stems = write_hq_track(tmp_path / "hq" / "train" / "Solo - Song")
    track = musdb.load_musdb18hq(tmp_path / "hq")[0]
    accompaniment = track.load("accompaniment", sr=None, mono=False)
    expected = stems["drums"] + stems["bass"] + stems["other"]
    assert accompaniment.shape == (2, SR_HZ)
    np.testing.assert_allclose(accompaniment, expected, atol=3 * QUANTUM)
    np.testing.assert_allclose(
        track.load("vocals", sr=None, mono=False), stems["vocals"], atol=QUANTUM
    )


def test_load_musdb18hq_without_folder_says_how_to_download(tmp_path):
    with pytest.raises(DatasetError, match=re.escape("data_scripts/download_musdb.py")):
        musdb.load_musdb18hq(tmp_path / "nowhere")


def test_load_musdb18hq_rejects_unknown_subset(hq_root):
    with pytest.raises(DatasetError, match="unknown MUSDB18 subset 'valid'"):
        musdb.load_musdb18hq(hq_root, subset="valid")


def test_load_musdb18hq_names_missing_stem_files(hq_root):
    (hq_root / "test" / "C Choir - Third Song" / "bass.wav").unlink()
    with pytest.raises(DatasetError, match=re.escape("test/C Choir - Third Song/bass.wav")):
        musdb.load_musdb18hq(hq_root)
    assert len(musdb.load_musdb18hq(hq_root, subset="train")) == 2


def test_download_musdb18hq_downloads_extracts_and_loads(tmp_path, hq_root, web_root, monkeypatch):
    folder, base_url = web_root
    sha256 = zip_folder(hq_root, folder / "musdb18hq.zip")
    monkeypatch.setattr(musdb, "MUSDB18HQ_URL", f"{base_url}/musdb18hq.zip")
    monkeypatch.setattr(musdb, "MUSDB18HQ_SHA256", sha256)
    script = load_script("download_musdb")
    root = tmp_path / "data"

    assert script.main(["--root", str(root), "--no-progress"]) == 0
    assert len(musdb.load_musdb18hq(root)) == 3
    assert not (root / "musdb18hq.zip").exists()


# --------------------------------------------------------------------------- MUSDB18 .stem.mp4

needs_stem_tools = pytest.mark.skipif(
    shutil.which("ffmpeg") is None
    or shutil.which("ffprobe") is None
    or importlib.util.find_spec("musdb") is None,
    reason="needs ffmpeg, ffprobe and the musdb package",
)


def write_stem_mp4(path: Path, seconds: float = 0.5) -> None:
    """A MUSDB18-style .stem.mp4: streams mixture, drums, bass, other, vocals (AAC)."""
    import stempeg

    order = ("drums", "bass", "other", "vocals")
    sources = [sine(HQ_FREQS_HZ[name], seconds, 0.15).T for name in order]
    stems = np.stack([np.sum(sources, axis=0), *sources])
    path.parent.mkdir(parents=True, exist_ok=True)
    stempeg.write_stems(
        str(path), stems, sample_rate=SR_HZ, writer=stempeg.StreamsWriter(codec="aac")
    )


def dominant_frequency_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.argmax(spectrum) * SR_HZ / len(audio))


@needs_stem_tools
def test_convert_stem_mp4_writes_the_hq_wav_layout(tmp_path):
    write_stem_mp4(tmp_path / "musdb18" / "train" / "Duo - Tune.stem.mp4")
    out = musdb.convert_stem_mp4_to_wav(tmp_path / "musdb18", tmp_path / "wav", progress=False)

    folder = out / "train" / "Duo - Tune"
    assert sorted(p.stem for p in folder.iterdir()) == sorted(musdb.WAV_STEMS)
    assert not (out / ".partial").exists()
    info = sf.info(folder / "vocals.wav")
    assert (info.samplerate, info.channels) == (SR_HZ, 2)
    track = musdb.load_musdb18hq(out)[0]
    assert (track.subset, track.name) == ("train", "Duo - Tune")
    for name, freq in HQ_FREQS_HZ.items():
        left = track.load(name, sr=None, mono=False)[0]
        assert dominant_frequency_hz(left) == pytest.approx(freq, abs=3.0)
    parts = sum(track.load(name, sr=None, mono=False) for name in ("drums", "bass", "other"))
    np.testing.assert_allclose(
        track.load("accompaniment", sr=None, mono=False), parts, atol=3 * QUANTUM
    )

    written = (folder / "mixture.wav").stat().st_mtime_ns
    script = load_script("download_musdb")
    argv = ["--root", str(out), "--from-stem-mp4", str(tmp_path / "musdb18"), "--no-progress"]
    assert script.main(argv) == 0
    assert (folder / "mixture.wav").stat().st_mtime_ns == written  # finished tracks are skipped


@needs_stem_tools
def test_convert_stem_mp4_without_stem_files_raises(tmp_path):
    (tmp_path / "musdb18" / "train").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"no \.stem\.mp4 files"):
        musdb.convert_stem_mp4_to_wav(tmp_path / "musdb18", tmp_path / "wav", progress=False)


def test_convert_stem_mp4_without_ffmpeg_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(musdb.shutil, "which", lambda program: None)
    with pytest.raises(DlmusicError, match=r"needs ffmpeg and ffprobe.*apt-get install ffmpeg"):
        musdb.convert_stem_mp4_to_wav(tmp_path, tmp_path / "wav", progress=False)


def test_convert_stem_mp4_without_musdb_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(musdb.shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setitem(sys.modules, "musdb", None)
    with pytest.raises(DlmusicError, match="pip install musdb"):
        musdb.convert_stem_mp4_to_wav(tmp_path, tmp_path / "wav", progress=False)


# --------------------------------------------------------------------------- sheet music


def save_page(path: Path, size: tuple[int, int] = (60, 80), shade: int = 255) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("L", size, shade)
    image.paste(0, (10, 10, 50, 12))  # a staff line
    image.save(path)
    return path


@pytest.fixture
def score_root(tmp_path) -> Path:
    root = tmp_path / "scores"
    for name in ("page-10.png", "page-2.jpg", "page-1.png"):
        save_page(root / "Bach" / "bwv846" / name)
    first, second = Image.new("L", (100, 140), 255), Image.new("L", (100, 140), 128)
    first.save(root / "Bach" / "bwv847.pdf", save_all=True, append_images=[second])
    save_page(root / "Chopin" / "op10no1.png", size=(70, 90))
    save_page(root / "Chopin" / ".ipynb_checkpoints" / "op10no1-checkpoint.png")
    (root / "Chopin" / "notes.txt").write_text("not a page")
    return root


def test_load_score_folder_lists_pages_in_natural_order(score_root):
    pages = load_score_folder(score_root)
    assert [(p.composer, p.piece, p.page, p.path.name) for p in pages] == [
        ("Bach", "bwv846", 1, "page-1.png"),
        ("Bach", "bwv846", 2, "page-2.jpg"),
        ("Bach", "bwv846", 3, "page-10.png"),
        ("Bach", "bwv847", 1, "bwv847.pdf"),
        ("Bach", "bwv847", 2, "bwv847.pdf"),
        ("Chopin", "op10no1", 1, "op10no1.png"),
    ]
    assert load_score_folder(score_root) == pages


def test_load_page_image_reads_images_as_grayscale_uint8(score_root):
    pages = load_score_folder(score_root)
    for page in pages:
        image = load_page_image(page)
        assert image.dtype == np.uint8 and image.ndim == 2
    chopin = load_page_image(pages[-1])
    assert chopin.shape == (90, 70)
    assert chopin[11, 20] == 0 and chopin[40, 40] == 255


def test_load_page_image_renders_pdf_pages_at_the_requested_dpi(score_root):
    pdf_pages = [p for p in load_score_folder(score_root) if p.path.suffix == ".pdf"]
    first = load_page_image(pdf_pages[0], dpi=144)
    second = load_page_image(pdf_pages[1], dpi=144)
    assert first.shape == second.shape == (280, 200)
    assert first.mean() == pytest.approx(255, abs=1)
    assert second.mean() == pytest.approx(128, abs=2)


def test_load_page_image_renders_transparency_as_white_paper(tmp_path):
    path = tmp_path / "Satie" / "gnossienne.png"
    path.parent.mkdir(parents=True)
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (5, 5, 35, 7))
    image.save(path)
    gray = load_page_image(load_score_folder(tmp_path)[0])
    assert gray[6, 10] == 0 and gray[20, 20] == 255


def test_load_page_image_of_corrupt_png_raises_dataset_error(tmp_path):
    garbage = tmp_path / "Bach" / "garbage.png"
    garbage.parent.mkdir(parents=True)
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    truncated = save_page(tmp_path / "Bach" / "truncated.png", size=(400, 400))
    truncated.write_bytes(truncated.read_bytes()[:120])
    for page in load_score_folder(tmp_path):
        with pytest.raises(DatasetError, match=f"cannot read score image .*{page.path.name}"):
            load_page_image(page)


def test_load_page_image_of_missing_file_raises_missing_file_error(tmp_path):
    with pytest.raises(MissingFileError):
        load_page_image(ScorePage("Bach", "gone", 1, tmp_path / "gone.png"))


def test_corrupt_pdf_raises_dataset_error(tmp_path):
    (tmp_path / "Bach").mkdir()
    (tmp_path / "Bach" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    with pytest.raises(DatasetError, match=r"cannot read PDF .*broken\.pdf"):
        load_score_folder(tmp_path)


def test_empty_score_folder_raises_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="no composer folders"):
        load_score_folder(tmp_path)
    with pytest.raises(DatasetError, match="no sheet-music folder"):
        load_score_folder(tmp_path / "absent")


def test_composer_folder_without_pages_raises_dataset_error(score_root):
    (score_root / "Mozart").mkdir()
    (score_root / "Mozart" / "readme.txt").write_text("todo")
    with pytest.raises(DatasetError, match=r"composer folder .*Mozart holds no pages"):
        load_score_folder(score_root)


def test_piece_folder_without_images_raises_dataset_error(score_root):
    (score_root / "Chopin" / "op25").mkdir()
    with pytest.raises(DatasetError, match=r"piece folder .*op25 holds no page images"):
        load_score_folder(score_root)


def test_piece_stored_twice_raises_dataset_error(score_root):
    save_page(score_root / "Bach" / "bwv846.png")
    with pytest.raises(DatasetError, match="'bwv846' is stored twice"):
        load_score_folder(score_root)


# --------------------------------------------------------------------------- MUSDB18 previews


@needs_stem_tools
def test_musdb18_previews_are_downloaded_by_musdb_decoded_and_loaded_mono_22050(
    tmp_path, monkeypatch
):
    import musdb as musdb_package

    fetched = []

    def fake_download(database, progress=True, suffix=".zip"):
        # What musdb's download leaves: <root>/{train,test}/<name>.stem.mp4
        fetched.append(database.root)
        write_stem_mp4(Path(database.root) / "train" / "Duo - Tune.stem.mp4")
        write_stem_mp4(Path(database.root) / "test" / "Trio - Song.stem.mp4")

    monkeypatch.setattr(musdb_package.DB, "download", fake_download)
    tracks = musdb.load_musdb18_previews(tmp_path, progress=False)
    assert fetched == [str(tmp_path / "stem_mp4")]
    assert [(t.subset, t.name) for t in tracks] == [
        ("train", "Duo - Tune"),
        ("test", "Trio - Song"),
    ]
    vocals = tracks[0].load("vocals")  # stereo 44.1 kHz on disk, mono 22050 Hz loaded
    assert vocals.ndim == 1 and vocals.size == pytest.approx(0.5 * 22050, abs=2048)
    assert dominant_frequency_hz_at(vocals, 22050) == pytest.approx(440.0, abs=3.0)
    assert len(musdb.load_musdb18_previews(tmp_path, subset="test", download=False)) == 1
    assert len(fetched) == 1  # decoded once, then read from wav/


@needs_stem_tools
def test_musdb18_previews_without_download_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetError, match=r"previews not found.*download=True"):
        musdb.load_musdb18_previews(tmp_path, download=False)


def test_musdb18_previews_without_ffmpeg_say_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(musdb.shutil, "which", lambda program: None)
    with pytest.raises(DlmusicError, match=r"needs ffmpeg and ffprobe.*apt-get install ffmpeg"):
        musdb.load_musdb18_previews(tmp_path)


def dominant_frequency_hz_at(audio: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.argmax(spectrum) * sr / len(audio))
