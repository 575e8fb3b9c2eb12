"""Fetching members of a remote zip with HTTP range requests, and MAESTRO subsets through it.

A local HTTP server (conftest's ``file_server``) serves a zip archive made here,
honouring ``Range: bytes=a-b`` or, in mode ``"ignore-range"``, ignoring it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from dlmusic.datasets import maestro
from dlmusic.datasets.maestro import (
    MAESTRO_NAME,
    fetch_maestro_subset,
    load_maestro,
    maestro_subset_plan,
    render_maestro_midi,
)
from dlmusic.datasets.records import MAESTRO_COLUMNS
from dlmusic.datasets.remote_zip import RangeFile, fetch_members, remote_zip_members
from dlmusic.datasets.synthetic_piano import is_held_out, load_synthetic_piano
from dlmusic.errors import ChecksumError, DatasetError, DownloadError

SPLITS = ["train", "train", "train", "validation", "validation", "test", "test"]


@pytest.fixture
def server(file_server):
    return file_server


def requested_bytes(server) -> int:
    """Bytes the ranges asked of the server since ``server.requests`` was last cleared."""
    total = 0
    for asked in server.ranges:
        start, stop = re.fullmatch(r"bytes=(\d+)-(\d+)", asked or "").groups()
        total += int(stop) - int(start) + 1
    return total


def one_piece_midi(pitch: int) -> bytes:
    """A short piano MIDI file: three notes from ``pitch``, the last one starting at 2 s."""
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    for index, step in enumerate((0, 4, 7)):
        start = index * 1.0
        piano.notes.append(pretty_midi.Note(90, pitch + step, start, start + 0.8))
    midi.instruments.append(piano)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def wav_bytes(seconds: float, seed: int) -> bytes:
    buffer = io.BytesIO()
    noise = np.random.default_rng(seed).uniform(-0.1, 0.1, int(seconds * 8000))
    sf.write(buffer, noise, 8000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def fake_maestro_zip() -> tuple[bytes, dict[str, bytes]]:
    """A MAESTRO-shaped archive (CSV, MIDI deflated, WAV stored) and its members' contents."""
    rows, contents = [], {}
    for index, split in enumerate(SPLITS):
        stem = f"2004/piece_{index}"
        contents[f"{stem}.midi"] = one_piece_midi(48 + 3 * index)
        contents[f"{stem}.wav"] = wav_bytes(0.5 + 0.1 * index, index)
        rows.append(
            ["Composer", f"Piece {index}", split, "2004", f"{stem}.midi", f"{stem}.wav", "3.0"]
        )
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows([MAESTRO_COLUMNS, *rows])
    contents[maestro.MAESTRO_CSV_NAME] = text.getvalue().encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            method = zipfile.ZIP_STORED if name.endswith(".wav") else zipfile.ZIP_DEFLATED
            archive.writestr(f"{MAESTRO_NAME}/{name}", data, compress_type=method)
    return buffer.getvalue(), contents


@pytest.fixture
def served(server, monkeypatch) -> tuple[object, dict[str, bytes]]:
    archive, contents = fake_maestro_zip()
    server.files["maestro.zip"] = archive
    monkeypatch.setattr(maestro, "MAESTRO_ZIP_URL", server.url("maestro.zip"))
    monkeypatch.setattr(maestro, "MAESTRO_MIDI_ZIP_URL", server.url("maestro.zip"))
    return server, contents


# --- remote_zip ---------------------------------------------------------------------------


def test_range_file_reads_any_span(server):
    server.files["data.bin"] = bytes(range(256)) * 10
    remote = RangeFile(server.url("data.bin"))
    assert remote.size == 2560
    remote.seek(-10, io.SEEK_END)
    assert remote.read(4) == bytes(range(246, 250))
    remote.seek(300)
    assert remote.read(3) == bytes([44, 45, 46])


def test_members_are_listed_and_fetched_without_the_rest_of_the_archive(served, tmp_path):
    server, contents = served
    url = server.url("maestro.zip")
    entries = remote_zip_members(url)
    assert set(entries) == {f"{MAESTRO_NAME}/{name}" for name in contents}
    wanted = [f"{MAESTRO_NAME}/2004/piece_0.midi", f"{MAESTRO_NAME}/2004/piece_3.wav"]
    server.requests.clear()
    paths = fetch_members(
        url, {entries[n]: tmp_path / n.rsplit("/", 1)[-1] for n in wanted}, progress=False
    )
    assert paths[0].read_bytes() == contents["2004/piece_0.midi"]
    assert paths[1].read_bytes() == contents["2004/piece_3.wav"]
    needed = sum(entries[n].compress_size for n in wanted)
    assert requested_bytes(server) < needed + 100, (
        "only the two members (and headers) were asked for"
    )
    assert not list(tmp_path.glob("*.zpart")) and not list(tmp_path.glob("*.tmp"))


def test_an_interrupted_member_resumes_from_its_partial_file(served, tmp_path):
    server, contents = served
    url = server.url("maestro.zip")
    info = remote_zip_members(url)[f"{MAESTRO_NAME}/2004/piece_6.wav"]
    dest = tmp_path / "piece_6.wav"
    archive = server.files["maestro.zip"]
    data_start = info.header_offset + 30 + len(info.filename.encode())  # no extra field here
    half = info.compress_size // 2
    (tmp_path / "piece_6.wav.zpart").write_bytes(archive[data_start : data_start + half])
    server.requests.clear()
    fetch_members(url, {info: dest}, progress=False)
    assert dest.read_bytes() == contents["2004/piece_6.wav"]
    stop = data_start + info.compress_size - 1
    assert f"bytes={data_start + half}-{stop}" in server.ranges


def test_a_corrupt_member_fails_its_crc_and_leaves_nothing(served, tmp_path):
    server, _ = served
    url = server.url("maestro.zip")
    info = remote_zip_members(url)[f"{MAESTRO_NAME}/2004/piece_1.wav"]
    archive = bytearray(server.files["maestro.zip"])
    archive[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF
    server.files["maestro.zip"] = bytes(archive)
    with pytest.raises(ChecksumError, match="CRC-32"):
        fetch_members(url, {info: tmp_path / "piece_1.wav"}, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_server_without_range_support_is_refused_clearly(served, tmp_path):
    server, _ = served
    server.mode = "ignore-range"
    with pytest.raises(DownloadError, match="does not support HTTP range requests"):
        remote_zip_members(server.url("maestro.zip"))


def test_a_file_that_is_not_a_zip_is_refused(server):
    server.files["fake.zip"] = b"not a zip archive" * 100
    with pytest.raises(DatasetError, match="not a readable zip"):
        remote_zip_members(server.url("fake.zip"))


# --- MAESTRO subsets ----------------------------------------------------------------------


def test_subset_fetch_takes_the_first_recordings_of_each_split(served, tmp_path):
    server, contents = served
    root = fetch_maestro_subset({"train": 2, "validation": 1, "test": 1}, tmp_path, progress=False)
    records = load_maestro(root)
    assert [(r.split, r.title) for r in records] == [
        ("train", "Piece 0"),
        ("train", "Piece 1"),
        ("validation", "Piece 3"),
        ("test", "Piece 5"),
    ]
    for record in records:
        name = record.audio_path.relative_to(root).as_posix()
        assert record.audio_path.read_bytes() == contents[name]
    assert not (root / "2004" / "piece_2.wav").exists()
    server.requests.clear()
    fetch_maestro_subset({"train": 2, "validation": 1, "test": 1}, tmp_path, progress=False)
    smallest = min(len(data) for name, data in contents.items() if name.endswith(".wav"))
    assert requested_bytes(server) < smallest, "a second call fetches no member again"


def test_subset_plan_counts_compressed_and_unpacked_bytes(served, tmp_path):
    _, contents = served
    plan = maestro_subset_plan(1, midi_only=True, root=tmp_path, progress=False)
    names = sorted(plan.members.values())
    assert names == ["2004/piece_0.midi", "2004/piece_3.midi", "2004/piece_5.midi"]
    assert plan.unpacked_bytes == sum(len(contents[name]) for name in names)
    assert 0 < plan.compressed_bytes <= plan.unpacked_bytes + 100


def test_subset_counts_are_checked(served, tmp_path):
    with pytest.raises(DatasetError, match="unknown MAESTRO splits"):
        maestro_subset_plan({"training": 1}, root=tmp_path, progress=False)
    with pytest.raises(DatasetError, match=">= 0"):
        maestro_subset_plan(-1, root=tmp_path, progress=False)


def test_maestro_midi_renders_with_several_pianos_and_the_held_out_one_in_test(served, tmp_path):
    root = fetch_maestro_subset(1, tmp_path / "maestro", midi_only=True, progress=False)
    records = load_maestro(root, require_audio=False)
    dest = render_maestro_midi(records, tmp_path / "rendered", max_piece_s=1.5, progress=False)
    rendered = load_synthetic_piano(dest)
    assert {r.split for r in rendered} == {"train", "validation", "test"}
    assert {r.split for r in rendered if is_held_out(r)} == {"test"}
    assert len({r.timbre for r in rendered if r.split == "train"}) >= 2 or len(rendered) >= 4
    for record in rendered:
        notes = [
            n
            for inst in pretty_midi.PrettyMIDI(str(record.midi_path)).instruments
            for n in inst.notes
        ]
        assert len(notes) == 2 and max(n.end for n in notes) <= 1.5, "cut after 1.5 s"
        assert sf.info(record.audio_path).duration == pytest.approx(record.duration_s, abs=1e-3)


def load_download_script():
    path = Path(__file__).parent.parent / "data_scripts" / "download_maestro.py"
    spec = importlib.util.spec_from_file_location("download_maestro", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_dry_run_prints_the_cost_and_fetches_no_member(served, tmp_path, capsys):
    script = load_download_script()
    root = tmp_path / "maestro"
    assert script.main(["--root", str(root), "--per-split", "1", "--dry-run", "--no-progress"]) == 0
    assert "3 recordings, 6 files:" in capsys.readouterr().out
    assert not (root / "2004").exists()
    assert script.main(["--root", str(root), "--per-split", "1", "--no-progress"]) == 0
    assert len(load_maestro(root)) == 3
