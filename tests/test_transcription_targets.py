"""Note lists, their windows, and the contour/note/onset targets of the transcriber.

The contour target is given code (``dlmusic.transcription.targets.contour_target``);
the note and onset targets are the notebook's exercise, tested here through the
instructor's reference (``dlmusic_instructor.references.transcription.note_targets``
makes all three).
"""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from dlmusic.errors import MidiError, MissingFileError
from dlmusic.transcription.constants import (
    BINS_PER_OCTAVE,
    FMIN_HZ,
    FRAMES_PER_SECOND,
    N_CONTOUR_BINS,
    N_KEYS,
    WINDOW_FRAMES,
)
from dlmusic.transcription.targets import (
    NoteList,
    contour_bin,
    contour_target,
    key_index,
    notes_from_midi,
)
from dlmusic_instructor.references.transcription import note_targets

FPS = FRAMES_PER_SECOND


def notes(*rows: tuple[float, float, int]) -> NoteList:
    """A NoteList from ``(onset_s, offset_s, pitch)`` rows, all at velocity 80."""
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return NoteList(table[:, :2], table[:, 2].astype(int), np.full(len(table), 80))


def test_targets_have_the_model_shapes_float32_values_in_unit_range() -> None:
    targets = note_targets(notes((0.1, 0.9, 60), (0.5, 1.8, 64), (1.0, 1.5, 108)), WINDOW_FRAMES)
    assert set(targets) == {"contour", "note", "onset"}
    assert targets["contour"].shape == (WINDOW_FRAMES, N_CONTOUR_BINS)
    assert targets["note"].shape == (WINDOW_FRAMES, N_KEYS)
    assert targets["onset"].shape == (WINDOW_FRAMES, N_KEYS)
    for target in targets.values():
        assert target.dtype == np.float32
        assert target.min() >= 0.0
        assert target.max() <= 1.0


def test_a4_lands_on_contour_bin_144_and_key_48() -> None:
    assert key_index(69) == 48
    assert contour_bin(69) == 144
    assert FMIN_HZ * 2 ** (contour_bin(69) / BINS_PER_OCTAVE) == pytest.approx(440.0)
    targets = note_targets(notes((0.0, 0.5, 69)), 50)
    assert np.flatnonzero(targets["note"][10]).tolist() == [48]
    assert np.flatnonzero(targets["contour"][10] == 1.0).tolist() == [144]


def test_contour_target_peaks_at_three_bins_per_semitone() -> None:
    targets = note_targets(notes((0.0, 0.5, 60), (0.0, 0.5, 61)), 50)
    row = targets["contour"][5]
    assert np.flatnonzero(row == 1.0).tolist() == [contour_bin(60), contour_bin(60) + 3]
    assert row[contour_bin(60) - 1] == row[contour_bin(60) + 1] == 0.5
    assert row[contour_bin(61) - 1] == row[contour_bin(61) + 1] == 0.5
    assert np.count_nonzero(row) == 6


def test_lowest_and_highest_keys_keep_their_contour_inside_the_264_bins() -> None:
    targets = note_targets(notes((0.0, 0.5, 21), (0.0, 0.5, 108)), 50)
    row = targets["contour"][5]
    assert row[:2].tolist() == [1.0, 0.5]
    assert row[259:].tolist() == [0.0, 0.5, 1.0, 0.5, 0.0]


def test_note_covers_its_rounded_frames_and_onset_only_the_first() -> None:
    onset_s, offset_s = 0.3, 0.8
    targets = note_targets(notes((onset_s, offset_s, 60)), 100)
    first, stop = round(onset_s * FPS), round(offset_s * FPS)
    key = key_index(60)
    assert np.flatnonzero(targets["note"][:, key]).tolist() == list(range(first, stop))
    assert np.flatnonzero(targets["onset"][:, key]).tolist() == [first]
    assert targets["onset"].sum() == 1.0


def test_a_note_shorter_than_a_frame_still_covers_one_frame() -> None:
    targets = note_targets(notes((0.5, 0.501, 60)), 100)
    assert targets["note"].sum() == 1.0
    assert targets["onset"].sum() == 1.0


def test_overlapping_notes_max_combine() -> None:
    targets = note_targets(notes((0.0, 1.0, 60), (0.5, 1.0, 60), (0.2, 0.6, 61)), 100)
    both = round(0.55 * FPS)
    assert targets["note"][both, key_index(60)] == 1.0
    assert targets["contour"][both, contour_bin(60)] == 1.0
    assert np.flatnonzero(targets["onset"][:, key_index(60)]).tolist() == [0, round(0.5 * FPS)]
    row = targets["contour"][round(0.4 * FPS)]
    assert row[contour_bin(60) - 1 : contour_bin(61) + 2].tolist() == [0.5, 1, 0.5, 0.5, 1, 0.5]


def test_notes_partly_outside_the_frames_are_clipped_without_onsets() -> None:
    targets = note_targets(notes((-0.5, 0.2, 60), (0.9, 3.0, 62)), 100)
    before, after = key_index(60), key_index(62)
    assert np.flatnonzero(targets["note"][:, before]).tolist() == list(range(round(0.2 * FPS)))
    assert targets["onset"][:, before].sum() == 0.0
    assert np.flatnonzero(targets["note"][:, after]).tolist() == list(range(round(0.9 * FPS), 100))
    assert targets["onset"][:, after].sum() == 1.0


def test_notes_entirely_outside_the_frames_leave_the_targets_empty() -> None:
    targets = note_targets(notes((-1.0, -0.5, 60), (5.0, 6.0, 62)), 100)
    assert all(target.sum() == 0.0 for target in targets.values())


@pytest.mark.parametrize("pitch", [20, 109])
def test_pitch_outside_the_piano_raises_naming_it(pitch: int) -> None:
    with pytest.raises(ValueError, match=str(pitch)):
        note_targets(notes((0.0, 0.5, pitch)), 50)
    with pytest.raises(ValueError, match=str(pitch)):
        contour_bin(pitch)


@pytest.mark.parametrize("n_frames", [0, -3, 2.5])
def test_n_frames_must_be_a_positive_whole_number(n_frames: float) -> None:
    with pytest.raises(ValueError, match="n_frames"):
        note_targets(notes((0.0, 0.5, 60)), n_frames)


def test_empty_note_list_gives_zero_targets() -> None:
    targets = note_targets(NoteList.empty(), 10)
    assert len(NoteList.empty()) == 0
    assert all(target.shape[0] == 10 and target.sum() == 0.0 for target in targets.values())


@pytest.mark.parametrize(
    ("intervals", "pitches", "velocities", "message"),
    [
        ([[0.0, 1.0]], [60, 62], [80, 80], "intervals hold 1 notes but pitches hold 2"),
        ([[0.0, 1.0]], [60], [80, 80], "velocities must have shape"),
        ([[1.0, 1.0]], [60], [80], "offset must be later than its onset"),
        ([[1.0, 0.5]], [60], [80], "offset must be later than its onset"),
        ([[0.0, np.nan]], [60], [80], "finite"),
        ([[0.0, np.inf]], [60], [80], "finite"),
        ([[0.0, 1.0, 2.0]], [60], [80], r"shape \(n, 2\)"),
        ([[0.0, 1.0]], [128], [80], "pitch must lie in 0..127, got 128"),
        ([[0.0, 1.0]], [60], [200], "velocity must lie in 0..127, got 200"),
    ],
)
def test_note_list_rejects_inconsistent_arrays(
    intervals: list, pitches: list, velocities: list, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        NoteList(np.array(intervals), pitches, velocities)


def test_note_list_stores_read_only_arrays() -> None:
    note_list = NoteList([[0.0, 1.0]], [60], [80])
    assert note_list.intervals.shape == (1, 2)
    assert note_list.pitches.dtype == np.int64
    with pytest.raises(ValueError, match="read-only"):
        note_list.pitches[0] = 61


def test_window_keeps_overlapping_notes_clipped_and_shifted() -> None:
    piece = notes((0.0, 1.2, 60), (1.5, 2.5, 62), (2.9, 4.0, 64), (4.0, 5.0, 65), (0.5, 1.0, 67))
    window = piece.window(1.0, 2.0)
    assert window.pitches.tolist() == [60, 62, 64]
    np.testing.assert_allclose(window.intervals, [[0.0, 0.2], [0.5, 1.5], [1.9, 2.0]])
    assert window.velocities.tolist() == [80, 80, 80]


def test_window_without_clipping_keeps_onsets_before_the_window_out_of_the_targets() -> None:
    window = notes((0.0, 1.2, 60), (1.5, 2.5, 62)).window(1.0, 2.0, clip=False)
    np.testing.assert_allclose(window.intervals, [[-1.0, 0.2], [0.5, 1.5]])
    targets = note_targets(window, WINDOW_FRAMES)
    assert targets["onset"][:, key_index(60)].sum() == 0.0
    assert targets["note"][0, key_index(60)] == 1.0


@pytest.mark.parametrize(("start_s", "duration_s"), [(0.0, 0.0), (0.0, -1.0), (np.nan, 1.0)])
def test_window_rejects_empty_or_undefined_spans(start_s: float, duration_s: float) -> None:
    with pytest.raises(ValueError, match="window"):
        notes((0.0, 1.0, 60)).window(start_s, duration_s)


def two_piano_midi() -> pretty_midi.PrettyMIDI:
    """Piano and strings playing, plus a drum that must be ignored."""
    midi = pretty_midi.PrettyMIDI()
    piano, strings = pretty_midi.Instrument(program=0), pretty_midi.Instrument(program=48)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    piano.notes += [
        pretty_midi.Note(velocity=90, pitch=64, start=0.5, end=1.0),
        pretty_midi.Note(velocity=70, pitch=60, start=0.0, end=0.4),
    ]
    strings.notes += [
        pretty_midi.Note(velocity=50, pitch=55, start=0.5, end=2.0),
        pretty_midi.Note(velocity=50, pitch=57, start=1.0, end=1.0),
    ]
    drums.notes.append(pretty_midi.Note(velocity=100, pitch=36, start=0.0, end=0.1))
    midi.instruments += [piano, strings, drums]
    return midi


def test_notes_from_midi_merges_instruments_sorted_by_onset_then_pitch() -> None:
    note_list = notes_from_midi(two_piano_midi())
    assert note_list.pitches.tolist() == [60, 55, 64]
    assert note_list.velocities.tolist() == [70, 50, 90]
    np.testing.assert_allclose(note_list.intervals, [[0.0, 0.4], [0.5, 2.0], [0.5, 1.0]])


def test_notes_from_midi_reads_paths_and_reports_bad_files(tmp_path) -> None:
    path = tmp_path / "piece.mid"
    two_piano_midi().write(str(path))
    assert notes_from_midi(path).pitches.tolist() == [60, 55, 64]
    with pytest.raises(MissingFileError):
        notes_from_midi(tmp_path / "missing.mid")
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"not a midi file")
    with pytest.raises(MidiError):
        notes_from_midi(corrupt)


def test_notes_from_midi_without_notes_is_empty() -> None:
    assert len(notes_from_midi(pretty_midi.PrettyMIDI())) == 0


def test_the_contour_target_sounds_in_exactly_the_frames_of_the_note_target() -> None:
    rng = np.random.default_rng(8)
    onsets = rng.uniform(-0.5, 2.0, 30)
    piece = NoteList(
        np.column_stack([onsets, onsets + rng.choice([0.001, 0.2, 1.5], 30)]),
        rng.integers(21, 109, 30),
        np.full(30, 80),
    )
    contour, note = contour_target(piece, 150), note_targets(piece, 150)["note"]
    for pitch in np.unique(piece.pitches):
        np.testing.assert_array_equal(
            contour[:, contour_bin(pitch)] == 1.0, note[:, key_index(pitch)] == 1.0
        )


@pytest.mark.parametrize("n_frames", [0, -3, 2.5])
def test_the_contour_target_needs_a_positive_whole_number_of_frames(n_frames) -> None:
    with pytest.raises(ValueError, match="n_frames"):
        contour_target(notes((0.0, 0.5, 60)), n_frames)
