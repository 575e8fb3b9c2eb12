"""Players and plots: what students hear and see in the notebooks."""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")


import numpy as np
import pytest
import soundfile as sf
from IPython.display import Audio
from matplotlib.figure import Figure
from PIL import Image

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.display import (
    compare_players,
    confusion_counts,
    play,
    plot_confusion_matrix,
    plot_piano_roll,
    plot_spectrogram,
    plot_training_curves,
    plot_waveform,
)
from dlmusic.errors import (
    ChannelError,
    EmptyAudioError,
    MissingFileError,
    NonFiniteAudioError,
)

SR = SAMPLE_RATE_HZ


def sine(duration_s: float, freq_hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(duration_s * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def assert_renders_to_png(fig: Figure, tmp_path, name: str = "plot.png") -> None:
    path = tmp_path / name
    fig.savefig(path)
    assert path.stat().st_size > 2_000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width > 100 and image.height > 100


def legend_labels(fig: Figure) -> list[str]:
    return [text.get_text() for text in fig.axes[0].get_legend().get_texts()]


def notes(*rows: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(onset_s, offset_s, midi) rows -> (intervals, pitches)."""
    table = np.array(rows, dtype=float).reshape(-1, 3)
    return table[:, :2], table[:, 2]


# --- players -------------------------------------------------------------------------------------


def test_play_returns_an_ipython_audio_player_for_mono_and_stereo():
    assert isinstance(play(sine(0.2), SR), Audio)
    stereo = np.stack([sine(0.2), sine(0.2, 660.0)])
    assert isinstance(play(stereo, SR), Audio)


def test_play_keeps_silence_silent_when_normalising():
    player = play(np.zeros(SR // 10, dtype=np.float32), SR)
    assert isinstance(player, Audio)


def test_play_without_normalising_rejects_samples_outside_full_scale():
    with pytest.raises(ValueError, match="normalize=True"):
        play(sine(0.1, amplitude=2.0), SR, normalize=False)


@pytest.mark.parametrize(
    ("audio", "error"),
    [
        (np.array([0.1, np.nan, 0.2], dtype=np.float32), NonFiniteAudioError),
        (np.zeros(0, dtype=np.float32), EmptyAudioError),
        (np.zeros((1, 2, 100), dtype=np.float32), ChannelError),
    ],
)
def test_play_rejects_audio_it_cannot_play(audio, error):
    with pytest.raises(error):
        play(audio, SR)


def embedded_wavs(page: str) -> list[bytes]:
    return [
        base64.b64decode(data)
        for data in re.findall(r"src='data:audio/wav;base64,([A-Za-z0-9+/=]+)'", page)
    ]


def test_compare_players_shows_one_labelled_wav_player_per_clip():
    clips = {
        "reference": sine(0.5),
        "prediction <b>": sine(0.25, amplitude=0.1),
        "silence": np.zeros(1000, dtype=np.float32),
    }
    page = compare_players(clips, SR)._repr_html_()

    assert page.count("<audio controls") == len(clips)
    assert "prediction &lt;b&gt;" in page and "prediction <b>" not in page
    wavs = embedded_wavs(page)
    assert len(wavs) == len(clips)
    for wav, audio in zip(wavs, clips.values(), strict=True):
        decoded, decoded_sr = sf.read(io.BytesIO(wav), dtype="float32")
        assert decoded_sr == SR
        assert decoded.shape == (len(audio),)
        assert np.all(np.isfinite(decoded))
        assert f"({len(audio) / SR:.1f} s)" in page


def test_compare_players_is_static_html_that_wraps_not_a_widget():
    shown = compare_players({"a": sine(0.1), "b": sine(0.1)}, SR)
    page = shown._repr_html_()
    assert "display:inline-block" in page and "max-width:100%" in page
    assert not hasattr(shown, "_repr_mimebundle_")  # no widget view to lose with the kernel
    assert repr(shown) == "AudioComparison(a (0.1 s), b (0.1 s))"


def test_compare_players_peak_normalises_each_clip():
    page = compare_players({"quiet": sine(0.1, amplitude=0.1)}, SR)._repr_html_()
    decoded, _ = sf.read(io.BytesIO(embedded_wavs(page)[0]), dtype="float32")
    assert np.max(np.abs(decoded)) == pytest.approx(1.0, abs=1e-3)


def test_compare_players_rejects_an_empty_mapping_and_names_the_bad_clip():
    with pytest.raises(ValueError, match="at least one clip"):
        compare_players({}, SR)
    with pytest.raises(NonFiniteAudioError, match="'augmented'"):
        compare_players({"reference": sine(0.1), "augmented": np.full(10, np.inf)}, SR)


# --- piano roll ----------------------------------------------------------------------------------


def test_piano_roll_legend_counts_hits_misses_and_false_alarms(tmp_path):
    reference = notes((0.0, 0.5, 60), (0.5, 1.0, 64), (1.0, 1.5, 67))
    # C4 a little late (hit), E4 an octave too high (miss + false alarm), G4 on time (hit).
    estimate = notes((0.02, 0.5, 60), (0.5, 1.0, 76), (1.0, 1.5, 67))

    fig = plot_piano_roll(reference, estimate, title="Basic Pitch on a C major arpeggio")

    assert legend_labels(fig) == ["hits (2)", "misses (1)", "false alarms (1)"]
    assert_renders_to_png(fig, tmp_path)


def test_piano_roll_with_offsets_turns_a_note_released_late_into_a_miss_and_a_false_alarm():
    reference = notes((0.0, 0.5, 60), (0.5, 1.0, 62))
    estimate = notes((0.0, 0.5, 60), (0.5, 2.0, 62))  # D4 held 1 s too long

    onsets_only = plot_piano_roll(reference, estimate)
    with_offsets = plot_piano_roll(reference, estimate, with_offsets=True)

    assert legend_labels(onsets_only) == ["hits (2)", "misses (0)", "false alarms (0)"]
    assert legend_labels(with_offsets) == ["hits (1)", "misses (1)", "false alarms (1)"]


def test_piano_roll_onset_tolerance_decides_what_counts_as_on_time():
    reference = notes((0.0, 0.5, 60))
    estimate = notes((0.08, 0.5, 60))  # 80 ms late
    assert legend_labels(plot_piano_roll(reference, estimate))[0] == "hits (0)"
    assert legend_labels(plot_piano_roll(reference, estimate, onset_tolerance_s=0.1))[0] == (
        "hits (1)"
    )


def test_piano_roll_draws_a_reference_alone_and_labels_pitches_with_note_names(tmp_path):
    fig = plot_piano_roll(notes((0.0, 1.0, 60), (1.0, 2.0, 61.5)))
    assert legend_labels(fig) == ["notes (2)"]
    tick_names = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert "C4" in tick_names
    assert_renders_to_png(fig, tmp_path)


def test_piano_roll_handles_transcriptions_with_no_notes(tmp_path):
    empty = notes()
    assert legend_labels(plot_piano_roll(empty, empty)) == [
        "hits (0)",
        "misses (0)",
        "false alarms (0)",
    ]
    fig = plot_piano_roll(notes((0.0, 1.0, 60)), empty)
    assert legend_labels(fig) == ["hits (0)", "misses (1)", "false alarms (0)"]
    assert_renders_to_png(fig, tmp_path)


def test_piano_roll_draws_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_piano_roll(notes((0.0, 1.0, 60)), ax=ax) is fig


@pytest.mark.parametrize(
    "bad_notes",
    [
        (np.zeros((2, 3)), np.zeros(2)),  # intervals need 2 columns
        (np.zeros((2, 2)), np.zeros(3)),  # one pitch per interval
        (np.array([[1.0, 0.5]]), np.array([60.0])),  # ends before it starts
        (np.array([[0.0, np.nan]]), np.array([60.0])),
        np.zeros((2, 2)),  # not an (intervals, pitches) pair
    ],
)
def test_piano_roll_rejects_malformed_notes(bad_notes):
    with pytest.raises(ValueError):
        plot_piano_roll(bad_notes)


# --- spectrogram and waveform --------------------------------------------------------------------


@pytest.mark.parametrize("y_axis", ["linear", "log", "cqt_note", "cqt_hz"])
def test_spectrogram_renders_on_every_frequency_axis(tmp_path, y_axis):
    rng = np.random.default_rng(0)
    n_bins = 84 if y_axis.startswith("cqt") else 513
    spec = rng.random((n_bins, 40))
    fig = plot_spectrogram(spec, y_axis=y_axis, bins_per_octave=12, title=y_axis)
    assert len(fig.axes) == 2  # spectrogram and colourbar
    assert_renders_to_png(fig, tmp_path)


def test_spectrogram_of_silence_renders_without_dividing_by_zero(tmp_path):
    with np.errstate(all="raise"):
        fig = plot_spectrogram(np.zeros((129, 10)), to_db=True)
    assert_renders_to_png(fig, tmp_path)


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        (np.zeros(10), {}),
        (np.zeros((4, 0)), {}),
        (np.full((4, 4), np.nan), {}),
        (np.ones((4, 4)), {"y_axis": "mel"}),
        (np.ones((4, 4)), {"hop_samples": 0}),
    ],
)
def test_spectrogram_rejects_bad_input(spec, options):
    with pytest.raises(ValueError):
        plot_spectrogram(spec, **options)


def test_waveform_shows_mono_and_stereo_audio(tmp_path):
    assert_renders_to_png(plot_waveform(sine(0.5), SR, title="what the model hears"), tmp_path)
    stereo = np.stack([sine(0.5), sine(0.5, 220.0, 0.2)])
    fig = plot_waveform(stereo, SR)
    assert legend_labels(fig) == ["channel 0", "channel 1"]
    assert_renders_to_png(fig, tmp_path, "stereo.png")


def test_waveform_rejects_empty_audio():
    with pytest.raises(EmptyAudioError):
        plot_waveform(np.zeros(0, dtype=np.float32), SR)


# --- training curves -----------------------------------------------------------------------------

CSV_LOGGER_TEXT = """epoch,accuracy,learning_rate,loss,val_accuracy,val_loss
0,0.25,0.001,1.9,0.3,1.7
1,0.5,0.001,1.2,0.45,1.3
2,0.75,0.0005,0.8,0.5,NA
"""


def test_training_curves_draw_one_panel_per_metric_with_train_and_validation(tmp_path):
    log = tmp_path / "training.csv"
    log.write_text(CSV_LOGGER_TEXT)

    fig = plot_training_curves(log, title="composer classifier")

    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["accuracy", "learning_rate", "loss"]
    by_title = {ax.get_title(): ax for ax in visible}
    assert [line.get_label() for line in by_title["loss"].lines] == ["training", "validation"]
    assert [line.get_label() for line in by_title["learning_rate"].lines] == ["training"]
    assert by_title["learning_rate"].get_yscale() == "log"
    np.testing.assert_array_equal(by_title["loss"].lines[1].get_ydata(), [1.7, 1.3, np.nan])
    assert_renders_to_png(fig, tmp_path)


def test_training_curves_read_a_log_written_by_keras_csvlogger(tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    log = tmp_path / "keras.csv"
    model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[keras.callbacks.CSVLogger(str(log))],
    )

    fig = plot_training_curves(log)

    titles = {ax.get_title() for ax in fig.axes if ax.get_visible()}
    assert {"loss", "accuracy"} <= titles
    assert_renders_to_png(fig, tmp_path)


def test_training_curves_explain_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(MissingFileError):
        plot_training_curves(tmp_path / "never_trained.csv")
    foreign = tmp_path / "scores.csv"
    foreign.write_text("step,loss\n0,1.0\n")
    with pytest.raises(ValueError, match="'epoch'"):
        plot_training_curves(foreign)
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("epoch,loss,val_loss\n")
    with pytest.raises(ValueError, match="no epochs"):
        plot_training_curves(header_only)


# --- confusion matrix ----------------------------------------------------------------------------


def test_confusion_counts_put_true_classes_on_rows_and_predictions_on_columns():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(
        confusion_counts(y_true, y_pred, 3),
        [[1, 1, 0], [0, 2, 1], [0, 0, 1]],
    )


def test_confusion_matrix_is_row_normalised_and_annotated(tmp_path):
    composers = ["Bach", "Chopin", "Debussy", "Satie"]
    y_true = np.array([0, 0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 0, 1, 1, 2, 2])

    fig = plot_confusion_matrix(y_true, y_pred, composers, title="composer recognition")

    ax = fig.axes[0]
    matrix = ax.images[0].get_array()
    np.testing.assert_allclose(matrix[0], [0.75, 0.25, 0, 0])
    np.testing.assert_allclose(matrix[1], [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(matrix[3], [0, 0, 0, 0])  # no Satie examples: no division by zero
    assert len(ax.texts) == len(composers) ** 2
    assert [tick.get_text() for tick in ax.get_xticklabels()] == composers
    assert_renders_to_png(fig, tmp_path)


def test_confusion_matrix_can_show_raw_counts_in_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    returned = plot_confusion_matrix(
        [0, 1, 1], [0, 1, 0], ["major", "minor"], normalize=False, ax=ax
    )
    assert returned is fig
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 0], [1, 1]])
    assert sorted(text.get_text() for text in ax.texts) == ["0", "1", "1", "1"]


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([0, 1], [0], "shape"),
        ([0, 3], [0, 1], "outside"),
        ([0.0, 1.0], [0, 1], "integer"),
    ],
)
def test_confusion_matrix_rejects_bad_class_indices(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        plot_confusion_matrix(np.array(y_true), np.array(y_pred), ["a", "b", "c"])


def test_piano_roll_draws_both_close_estimates_of_one_note_as_hits():
    # a picture, not the F-measure: mir_eval would match only one of the two
    reference = (np.array([[0.0, 0.5]]), np.array([60.0]))
    estimate = (np.array([[0.01, 0.5], [0.03, 0.5]]), np.array([60.0, 60.0]))
    assert legend_labels(plot_piano_roll(reference, estimate)) == [
        "hits (2)",
        "misses (0)",
        "false alarms (0)",
    ]


def test_piano_roll_of_a_poor_model_draws_the_longest_false_alarms_and_counts_them_all():
    rng = np.random.default_rng(0)
    reference = notes(*((i * 0.5, i * 0.5 + 0.4, 60 + i % 12) for i in range(49)))
    onsets = rng.uniform(0, 25, 4282)
    durations = rng.uniform(0.01, 0.2, 4282)
    durations[:5] = 3.0  # the five longest must be among those drawn
    pitches = rng.integers(30, 56, 4282)  # none near a reference note
    estimate = (np.stack([onsets, onsets + durations], axis=1), pitches)
    fig = plot_piano_roll(reference, estimate, max_false_alarms=100)
    ax = fig.axes[0]
    labels = legend_labels(fig)
    assert labels[2] == "false alarms (4282; the 100 longest drawn)"
    alarms = [p for p in ax.patches if p.get_hatch() == "//"]
    assert len(alarms) == 100
    assert sum(p.get_width() == pytest.approx(3.0) for p in alarms) == 5
    drawn_first = ax.patches[: len(alarms)]  # underneath the hits and misses
    assert all(p.get_hatch() == "//" for p in drawn_first)


def test_piano_roll_rejects_a_negative_false_alarm_cap():
    with pytest.raises(ValueError, match="max_false_alarms"):
        plot_piano_roll(notes((0.0, 0.5, 60)), notes((0.0, 0.5, 61)), max_false_alarms=-1)


def test_spectrogram_colour_bar_says_what_the_colours_mean():
    mask = np.linspace(0, 1, 40 * 30).reshape(40, 30)
    fig = plot_spectrogram(
        mask, to_db=False, colorbar_label="mask (share kept)", value_range=(0.0, 1.0)
    )
    colour_bar = fig.axes[1]
    assert colour_bar.get_ylabel() == "mask (share kept)"
    assert colour_bar.get_ylim() == (0.0, 1.0)
    decibels = plot_spectrogram(np.abs(np.random.default_rng(0).normal(size=(40, 30))))
    assert decibels.axes[1].get_ylabel() == "dB (0 = loudest bin)"
