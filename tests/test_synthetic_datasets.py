"""The offline datasets: layout, content, splits by piece, and byte-identical rebuilds."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from dlmusic.datasets import synthetic_piano, synthetic_scores, synthetic_stems
from dlmusic.datasets.build_cache import MANIFEST_NAME, build_once, read_manifest
from dlmusic.datasets.piano_material import piece_specs
from dlmusic.datasets.records import MAESTRO_COLUMNS, STEM_NAMES, TIMBRE_COLUMN
from dlmusic.datasets.sheet_folder import load_page_image, load_score_folder
from dlmusic.datasets.summary import format_table, piano_summary, scores_summary, stems_summary
from dlmusic.errors import DatasetError
from dlmusic.synth import load_midi
from dlmusic.transcription.constants import HIGHEST_MIDI, LOWEST_MIDI


@pytest.fixture(scope="module")
def built(quick_data_dir) -> dict[str, Path]:
    """The three quick datasets with seed 0, where the notebook tests find them.

    Built here unless an earlier test built them there: every build with the
    same seed is byte-identical (the first test below rebuilds each one apart
    and compares), so sharing the folder changes nothing these tests read.
    """
    return {
        "piano": synthetic_piano.build_synthetic_piano(
            quick_data_dir / synthetic_piano.NAME / "quick", progress=False
        ),
        "scores": synthetic_scores.build_synthetic_scores(
            quick_data_dir / synthetic_scores.NAME / "quick", progress=False
        ),
        "stems": synthetic_stems.build_synthetic_stems(
            quick_data_dir / synthetic_stems.NAME / "quick", progress=False
        ),
    }


def folder_digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("name", ["piano", "scores", "stems"])
def test_rebuilding_with_the_same_seed_gives_byte_identical_files(built, tmp_path, name):
    builders = {
        "piano": synthetic_piano.build_synthetic_piano,
        "scores": synthetic_scores.build_synthetic_scores,
        "stems": synthetic_stems.build_synthetic_stems,
    }
    again = builders[name](tmp_path / name, seed=0, progress=False)
    first, second = folder_digests(built[name]), folder_digests(again)
    assert len(first) > 5
    assert first == second


def test_a_different_seed_gives_different_songs(built, tmp_path):
    other = synthetic_stems.build_synthetic_stems(tmp_path / "stems", seed=1, progress=False)
    assert folder_digests(other) != folder_digests(built["stems"])


def test_piano_metadata_is_maestro_style_with_every_split(built):
    records = synthetic_piano.load_synthetic_piano(built["piano"])
    assert {r.split for r in records} == {"train", "validation", "test"}
    with (built["piano"] / synthetic_piano.METADATA_CSV).open() as handle:
        header = next(csv.reader(handle))
    assert header == [*MAESTRO_COLUMNS, TIMBRE_COLUMN]  # what the MAESTRO reader reads
    assert all(r.audio_path.is_file() and r.midi_path.is_file() for r in records)


def test_piano_splits_are_by_piece(built):
    records = synthetic_piano.load_synthetic_piano(built["piano"])
    renders = [(r.title, r.timbre) for r in records]
    assert len(renders) == len(set(renders)), "a piece appears twice in one timbre"
    split_of = {r.title: r.split for r in records}
    assert all(split_of[r.title] == r.split for r in records), "a piece spans two splits"
    test_titles = {
        r.title for r in synthetic_piano.load_synthetic_piano(built["piano"], split="test")
    }
    train_titles = {
        r.title for r in synthetic_piano.load_synthetic_piano(built["piano"], split="train")
    }
    assert test_titles and not test_titles & train_titles


def test_piano_audio_is_mono_22050_hz_and_lasts_past_the_last_note(built):
    for record in synthetic_piano.load_synthetic_piano(built["piano"]):
        info = sf.info(record.audio_path)
        assert (info.samplerate, info.channels) == (22050, 1)
        end_s = load_midi(record.midi_path).get_end_time()
        assert info.duration == pytest.approx(end_s + synthetic_piano.RELEASE_TAIL_S, abs=0.01)
        assert info.duration == pytest.approx(record.duration_s, abs=1e-3)


def test_piano_audio_starts_sounding_when_the_midi_says(built):
    """Labels and audio are aligned: the render is silent until the first onset."""
    for record in synthetic_piano.load_synthetic_piano(built["piano"]):
        audio, sr = sf.read(record.audio_path, dtype="float32")
        first_onset_s = min(
            n.start for inst in load_midi(record.midi_path).instruments for n in inst.notes
        )
        frame = 64
        envelope = np.sqrt(np.convolve(audio**2, np.ones(frame) / frame, mode="same"))
        sounding_s = np.argmax(envelope > 1e-4) / sr
        assert sounding_s == pytest.approx(first_onset_s, abs=0.03), record.title


def test_piano_notes_cover_the_keyboard_and_a_wide_velocity_range(built):
    notes = [
        note
        for record in synthetic_piano.load_synthetic_piano(built["piano"])
        for inst in load_midi(record.midi_path).instruments
        for note in inst.notes
    ]
    pitches = np.array([n.pitch for n in notes])
    velocities = np.array([n.velocity for n in notes])
    assert LOWEST_MIDI <= pitches.min() and pitches.max() <= HIGHEST_MIDI
    assert pitches.max() - pitches.min() >= 60
    assert velocities.min() <= 30 and velocities.max() >= 110


def test_full_size_has_at_least_sixty_pieces_of_corpus_and_drills():
    size = synthetic_piano.SIZES["full"]
    specs = piece_specs(size.n_chorales, size.n_corpus, size.n_drill_rounds)
    assert len(specs) >= 60
    composers = {spec.composer for spec in specs}
    assert {"Bach", "Mozart", "Beethoven", "Drill"} <= composers


def test_assign_splits_gives_every_split_at_least_one_piece():
    for n_pieces in (3, 12, 68):
        splits = synthetic_piano.assign_splits(n_pieces, seed=0)
        assert len(splits) == n_pieces
        assert {"train", "validation", "test"} == set(splits)
    assert synthetic_piano.assign_splits(68, 0).count("train") == 68 - 10 - 10
    with pytest.raises(DatasetError, match="at least 3 pieces"):
        synthetic_piano.assign_splits(2, seed=0)


def test_loading_an_unbuilt_dataset_says_how_to_build_it(tmp_path):
    with pytest.raises(DatasetError, match=r"build_synthetic\.py piano"):
        synthetic_piano.load_synthetic_piano(tmp_path)
    with pytest.raises(DatasetError, match=r"build_synthetic\.py stems"):
        synthetic_stems.load_synthetic_stems(tmp_path)
    with pytest.raises(DatasetError, match=r"build_synthetic\.py scores"):
        synthetic_scores.read_pages_csv(tmp_path)
    with pytest.raises(DatasetError, match="unknown size"):
        synthetic_piano.build_synthetic_piano(tmp_path, size="huge")


def test_stems_follow_the_musdb18hq_layout_and_sum_to_the_mixture(built):
    tracks = synthetic_stems.load_synthetic_stems(built["stems"])
    assert {t.subset for t in tracks} == {"train", "test"}
    for track in tracks:
        assert {p.stem for p in track.folder.glob("*.wav")} == set(STEM_NAMES)
        stems = {name: track.load(name) for name in STEM_NAMES}
        accompaniment = stems["drums"] + stems["bass"] + stems["other"]
        np.testing.assert_allclose(stems["accompaniment"], accompaniment, atol=1e-6)
        np.testing.assert_allclose(
            stems["mixture"], stems["vocals"] + stems["accompaniment"], atol=1e-6
        )
        assert np.abs(stems["mixture"]).max() <= synthetic_stems.PEAK_LEVEL + 1e-4


def test_stem_vocals_have_rests_between_phrases(built):
    """Every third bar is silent in the vocals: the mask must learn to close."""
    track = synthetic_stems.load_synthetic_stems(built["stems"], subset="train")[0]
    vocals = track.load("vocals")
    frame = 2048
    frames = vocals[: vocals.size // frame * frame].reshape(-1, frame)
    rms = np.sqrt((frames**2).mean(axis=1))
    assert (rms < 0.01 * rms.max()).any()
    assert (rms > 0.1 * rms.max()).mean() > 0.4


def test_stems_tracks_csv_lists_every_track_once(built):
    with (built["stems"] / synthetic_stems.TRACKS_CSV).open() as handle:
        rows = list(csv.DictReader(handle))
    tracks = synthetic_stems.load_synthetic_stems(built["stems"])
    assert sorted(r["name"] for r in rows) == sorted(t.name for t in tracks)
    assert {r["voice"] for r in rows} <= set(synthetic_stems.VOICE_PROGRAMS.values())


def test_score_pages_are_grayscale_a4_with_ink_from_six_composers(built):
    rows = synthetic_scores.read_pages_csv(built["scores"])
    assert {r["composer"] for r in rows} == set(synthetic_scores.COMPOSERS)
    for row in rows:
        with Image.open(built["scores"] / row["path"]) as image:
            assert image.mode == "L"
            assert image.width == synthetic_scores.PAGE_WIDTH_PX
            pixels = np.asarray(image)
        ink = (pixels < 128).mean()
        assert 0.005 < ink < 0.3


def test_score_pages_are_read_by_the_real_sheet_folder_loader(built):
    pages = load_score_folder(built["scores"])
    rows = synthetic_scores.read_pages_csv(built["scores"])
    assert len(pages) == len(rows)
    assert {(p.composer, p.piece) for p in pages} == {(r["composer"], r["piece"]) for r in rows}
    assert load_page_image(pages[0]).dtype == np.uint8


def test_summaries_count_pieces_minutes_pages_and_tracks(built):
    records = synthetic_piano.load_synthetic_piano(built["piano"])
    piano = piano_summary(records)
    assert [row["split"] for row in piano] == ["train", "validation", "test", "total"]
    assert piano[-1]["recordings"] == len(records)
    assert piano[-1]["pieces"] == len({r.title for r in records}) < len(records)
    assert piano[-1]["notes"] == sum(row["notes"] for row in piano[:-1]) > 0
    assert piano[-1]["minutes"] == pytest.approx(sum(r.duration_s for r in records) / 60, abs=0.1)
    scores = scores_summary(synthetic_scores.read_pages_csv(built["scores"]))
    assert scores[-1]["pages"] == sum(row["pages"] for row in scores[:-1])
    stems = stems_summary(synthetic_stems.load_synthetic_stems(built["stems"]))
    assert stems[-1]["tracks"] == synthetic_stems.SIZES["quick"].n_tracks
    table = format_table(stems, "stems")
    assert table.splitlines()[0] == "stems"
    assert "total" in table.splitlines()[-1]


def test_build_once_reuses_a_matching_build_and_survives_a_failed_one(tmp_path):
    calls = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "data.txt").write_text("v1")

    target = tmp_path / "dataset"
    build_once(target, {"seed": 0}, build)
    build_once(target, {"seed": 0}, build)
    assert len(calls) == 1
    assert read_manifest(target)["seed"] == 0

    def failing(folder: Path) -> None:
        (folder / "half.txt").write_text("partial")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        build_once(target, {"seed": 1}, failing)
    assert (target / "data.txt").read_text() == "v1", "a failed build must not replace data"
    assert not (target / "half.txt").exists()
    build_once(target, {"seed": 0}, build, force=True)
    assert len(calls) == 2
    assert (target / MANIFEST_NAME).is_file()


def test_piano_held_out_timbre_is_only_in_the_test_split(built):
    records = synthetic_piano.load_synthetic_piano(built["piano"])
    held_out = [r for r in records if synthetic_piano.is_held_out(r)]
    assert held_out and {r.split for r in held_out} == {"test"}
    assert all(
        r.timbre.split("/")[0] != synthetic_piano.HELD_OUT_SOUNDFONT
        for r in records
        if r.split != "test"
    )


def test_piano_test_pieces_come_in_a_training_and_the_held_out_timbre(built):
    both = {
        timbres: sorted(
            r.title
            for r in synthetic_piano.load_synthetic_piano(
                built["piano"], split="test", timbres=timbres
            )
        )
        for timbres in synthetic_piano.TIMBRE_SETS
    }
    assert both["training"] == both["held_out"] and both["training"]


def test_piano_training_pieces_are_rendered_with_every_training_soundfont(built):
    fonts = synthetic_piano.training_soundfonts()
    by_title: dict[str, set[str]] = {}
    for record in synthetic_piano.load_synthetic_piano(built["piano"], split="train"):
        font, program = record.timbre.split("/")
        assert int(program) in synthetic_piano.PIANO_PROGRAMS
        by_title.setdefault(record.title, set()).add(font)
    assert by_title and all(found == set(fonts) for found in by_title.values())


def test_piano_renders_of_one_piece_sound_different(built):
    records = synthetic_piano.load_synthetic_piano(built["piano"], split="train")
    first = [r for r in records if r.title == records[0].title]
    audio = [sf.read(r.audio_path, dtype="float32")[0] for r in first]
    assert len(audio) >= 2
    assert not np.allclose(audio[0], audio[1], atol=1e-2)


def test_piano_unknown_timbre_set_is_refused(built):
    with pytest.raises(DatasetError, match="timbres must be one of"):
        synthetic_piano.load_synthetic_piano(built["piano"], timbres="unseen")
