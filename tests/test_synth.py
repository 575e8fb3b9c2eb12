"""Soundfont lookup, safe MIDI reading and FluidSynth rendering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from dlmusic import synth
from dlmusic.errors import DlmusicError, MidiError, MissingFileError, SoundfontError
from dlmusic.synth import (
    SOUNDFONT_ENV_VAR,
    find_soundfont,
    installed_soundfonts,
    load_midi,
    render_midi,
)

SR = 22050
FLUIDR3_PATH = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TIMGM_PATH = next(path for path in synth.SOUNDFONTS["TimGM6mb"] if path.is_file())
HAS_FLUIDR3 = any(path.is_file() for path in synth.SOUNDFONTS["FluidR3_GM"])


def single_note_midi(
    pitch: int = 69, start: float = 0.0, end: float = 1.0, velocity: int = 100
) -> pretty_midi.PrettyMIDI:
    """A piano playing one note."""
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch, start=start, end=end))
    midi.instruments.append(piano)
    return midi


@pytest.fixture(
    params=[
        "TimGM6mb",
        pytest.param(
            "FluidR3_GM",
            marks=pytest.mark.skipif(not HAS_FLUIDR3, reason="fluid-soundfont-gm not installed"),
        ),
    ]
)
def soundfont(request) -> str:
    return request.param


@pytest.fixture(autouse=True)
def no_soundfont_env(monkeypatch):
    monkeypatch.delenv(SOUNDFONT_ENV_VAR, raising=False)


# --- find_soundfont -----------------------------------------------------------------------


def test_find_soundfont_default_prefers_fluidr3_then_timgm():
    expected = FLUIDR3_PATH if FLUIDR3_PATH.is_file() else TIMGM_PATH
    assert find_soundfont() == expected


def test_find_soundfont_by_name_returns_pretty_midi_bundled_timgm():
    assert find_soundfont("TimGM6mb") == TIMGM_PATH
    assert TIMGM_PATH.is_file()


def test_find_soundfont_accepts_path_to_sf2_file():
    assert find_soundfont(str(TIMGM_PATH)) == TIMGM_PATH


def test_find_soundfont_honours_env_var_name(monkeypatch):
    monkeypatch.setenv(SOUNDFONT_ENV_VAR, "TimGM6mb")
    assert find_soundfont() == TIMGM_PATH


def test_find_soundfont_honours_env_var_path(monkeypatch, tmp_path):
    font = tmp_path / "custom.sf2"
    font.write_bytes(b"RIFF")
    monkeypatch.setenv(SOUNDFONT_ENV_VAR, str(font))
    assert find_soundfont() == font


def test_find_soundfont_explicit_name_beats_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv(SOUNDFONT_ENV_VAR, str(tmp_path / "absent.sf2"))
    assert find_soundfont("TimGM6mb") == TIMGM_PATH


@pytest.mark.parametrize("name", ["NoSuchFont", "absent.sf2"])
def test_find_soundfont_of_unknown_name_raises_soundfont_error(name):
    with pytest.raises(SoundfontError, match=f"{name!r} is neither a known soundfont"):
        find_soundfont(name)


def test_find_soundfont_of_non_sf2_file_raises_soundfont_error(tmp_path):
    not_a_font = tmp_path / "piano.txt"
    not_a_font.write_text("not a soundfont")
    with pytest.raises(
        SoundfontError, match=r"piano\.txt' is neither .* nor an \.sf2 or \.sf3 file"
    ):
        find_soundfont(str(not_a_font))


def test_find_soundfont_of_known_but_uninstalled_font_raises_soundfont_error(monkeypatch, tmp_path):
    monkeypatch.setitem(synth.SOUNDFONTS, "FluidR3_GM", (tmp_path / "FluidR3_GM.sf2",))
    with pytest.raises(SoundfontError, match=r"'FluidR3_GM' is not installed .*FluidR3_GM\.sf2"):
        find_soundfont("FluidR3_GM")


def test_find_soundfont_with_no_font_installed_raises_soundfont_error(monkeypatch, tmp_path):
    for name in synth.PREFERRED_SOUNDFONTS:
        monkeypatch.setitem(synth.SOUNDFONTS, name, (tmp_path / f"{name}.sf2",))
    with pytest.raises(SoundfontError, match="no soundfont found; install"):
        find_soundfont()


# --- load_midi ----------------------------------------------------------------------------


def test_load_midi_reads_notes_back(tmp_path):
    path = tmp_path / "note.mid"
    single_note_midi(pitch=60, start=0.5, end=1.0).write(str(path))
    (note,) = load_midi(path).instruments[0].notes
    assert note.pitch == 60
    assert [note.start, note.end] == pytest.approx([0.5, 1.0])


def test_load_midi_of_missing_file_raises_missing_file_error(tmp_path):
    with pytest.raises(MissingFileError, match=r"no MIDI file at .*absent\.mid") as info:
        load_midi(tmp_path / "absent.mid")
    assert isinstance(info.value, FileNotFoundError)


def test_load_midi_of_garbage_bytes_raises_midi_error(tmp_path):
    path = tmp_path / "garbage.mid"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(MidiError, match=r"cannot parse MIDI file .*garbage\.mid"):
        load_midi(path)


def test_load_midi_of_truncated_file_raises_midi_error(tmp_path):
    path = tmp_path / "truncated.mid"
    single_note_midi().write(str(path))
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(MidiError, match=r"cannot parse MIDI file .*truncated\.mid"):
        load_midi(path)


# --- render_midi --------------------------------------------------------------------------


def test_render_midi_of_a4_is_mono_float32_at_440_hz(soundfont, peak_hz):
    audio = render_midi(single_note_midi(), SR, soundfont=soundfont)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert np.all(np.isfinite(audio))
    assert 0 < np.abs(audio).max() <= 1
    semitone = 2 ** (1 / 12)
    assert 440 / semitone < peak_hz(audio, SR) < 440 * semitone


def test_render_midi_is_silent_before_note_onset(soundfont):
    audio = render_midi(single_note_midi(start=0.5, end=1.5), SR, soundfont=soundfont)
    before = np.sum(audio[: int(0.4 * SR)] ** 2)
    after = np.sum(audio[int(0.5 * SR) :] ** 2)
    assert after > 0
    assert before < 1e-6 * after


@pytest.mark.parametrize("duration_s", [0.5, 1.0, 3.0])
def test_render_midi_pads_or_trims_to_exact_duration(soundfont, duration_s):
    natural = render_midi(single_note_midi(), SR, soundfont=soundfont)
    fitted = render_midi(single_note_midi(), SR, soundfont=soundfont, duration_s=duration_s)
    n = round(duration_s * SR)
    assert fitted.size == n
    assert fitted.dtype == np.float32
    shared = min(n, natural.size)
    np.testing.assert_array_equal(fitted[:shared], natural[:shared])
    assert not np.any(fitted[shared:])


def test_render_midi_is_deterministic(soundfont):
    first = render_midi(single_note_midi(), SR, soundfont=soundfont)
    second = render_midi(single_note_midi(), SR, soundfont=soundfont)
    np.testing.assert_array_equal(first, second)


def test_render_midi_louder_velocity_gives_louder_audio(soundfont):
    def rms(velocity: int) -> float:
        audio = render_midi(single_note_midi(velocity=velocity), SR, soundfont=soundfont)
        return float(np.sqrt(np.mean(audio**2)))

    assert rms(110) > 2 * rms(30)


def test_render_midi_accepts_path_to_mid_file(tmp_path, soundfont):
    midi = single_note_midi()
    path = tmp_path / "a4.mid"
    midi.write(str(path))
    expected = render_midi(midi, SR, soundfont=soundfont)
    np.testing.assert_array_equal(render_midi(path, SR, soundfont=soundfont), expected)
    np.testing.assert_array_equal(render_midi(str(path), SR, soundfont=soundfont), expected)


@pytest.mark.parametrize("with_instrument", [False, True], ids=["no-instrument", "no-notes"])
def test_render_midi_of_midi_without_notes_raises_midi_error(with_instrument):
    midi = pretty_midi.PrettyMIDI()
    if with_instrument:
        midi.instruments.append(pretty_midi.Instrument(program=0))
    with pytest.raises(MidiError, match="no notes to render"):
        render_midi(midi, SR)


def test_render_midi_of_missing_file_raises_missing_file_error(tmp_path):
    with pytest.raises(MissingFileError, match="no MIDI file"):
        render_midi(tmp_path / "absent.mid", SR)


def test_render_midi_with_unknown_soundfont_raises_soundfont_error():
    with pytest.raises(SoundfontError, match="'NoSuchFont' is neither a known soundfont"):
        render_midi(single_note_midi(), SR, soundfont="NoSuchFont")


@pytest.mark.parametrize("error", [MidiError, SoundfontError])
def test_synth_errors_are_dlmusic_errors(error):
    assert issubclass(error, DlmusicError)


def test_find_soundfont_treats_an_empty_env_var_as_unset(monkeypatch):
    monkeypatch.setenv("DLMUSIC_SOUNDFONT", "")
    assert find_soundfont() == find_soundfont(None)
    assert find_soundfont().suffix == ".sf2"


def test_render_midi_rejects_a_non_positive_duration():
    with pytest.raises(ValueError, match="duration_s must be positive"):
        render_midi(single_note_midi(), duration_s=-1.0)


def test_installed_soundfonts_lists_known_names_and_always_timgm():
    names = installed_soundfonts()
    assert "TimGM6mb" in names
    assert set(names) <= set(synth.SOUNDFONTS)


@pytest.mark.skipif(
    not any(path.is_file() for path in synth.SOUNDFONTS["MuseScore_General_Lite"]),
    reason="Debian's musescore-general-soundfont-small (.sf3) is not installed",
)
def test_sf3_soundfont_renders_by_name_and_by_path():
    font = find_soundfont("MuseScore_General_Lite")
    assert font.suffix == ".sf3"
    midi = single_note_midi(pitch=60, end=0.5)
    by_name = render_midi(midi, soundfont="MuseScore_General_Lite", duration_s=1.0)
    by_path = render_midi(midi, soundfont=str(font), duration_s=1.0)
    assert np.abs(by_name).max() > 0.01
    np.testing.assert_array_equal(by_name, by_path)


# --- SoundfontRenderer --------------------------------------------------------------------


def test_renderer_renders_again_alike_and_on_time(soundfont):
    midi = single_note_midi(start=0.25, end=0.75)
    with synth.SoundfontRenderer(soundfont, SR) as renderer:
        first = renderer.render(midi, duration_s=1.5)
        second = renderer.render(midi, duration_s=1.5)
    assert first.shape == second.shape == (round(1.5 * SR),)
    difference_db = 10 * np.log10(np.mean((first - second) ** 2) / np.mean(first**2))
    assert difference_db < -20
    for audio in (first, second):
        assert np.argmax(np.abs(audio) > 1e-3) == pytest.approx(0.25 * SR, abs=0.01 * SR)


def test_renderer_program_changes_the_piano_but_not_the_midi(soundfont):
    midi = single_note_midi()
    with synth.SoundfontRenderer(soundfont, SR) as renderer:
        grand = renderer.render(midi, program=0)
        electric = renderer.render(midi, program=4)
    assert not np.allclose(grand, electric, atol=1e-2)
    assert midi.instruments[0].program == 0


def test_renderer_refuses_bad_programs_and_use_after_close():
    renderer = synth.SoundfontRenderer("TimGM6mb", SR)
    with pytest.raises(ValueError, match="program"):
        renderer.render(single_note_midi(), program=128)
    renderer.close()
    with pytest.raises(SoundfontError, match="closed"):
        renderer.render(single_note_midi())
