"""synthetic_stems v2: the voice shares its register with the accompaniment.

The songs are built to make a fixed frequency mask fail: voices low and
high, a lead instrument and chords in the voice's own octaves, many voice
timbres. These tests check each of those choices on the plans and on a
quick build.
"""

from __future__ import annotations

import csv
from pathlib import Path

import librosa
import numpy as np
import pytest

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.datasets import synthetic_stems as stems
from dlmusic.synth import installed_soundfonts


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return stems.build_synthetic_stems(tmp_path_factory.mktemp("stems"), progress=False)


def plans(n: int = 200) -> list[stems.SongPlan]:
    fonts = installed_soundfonts()
    return [stems.plan_song(np.random.default_rng([0, index]), fonts) for index in range(n)]


def test_plans_draw_every_voice_patch_range_and_installed_soundfont():
    drawn = plans()
    assert {plan.voice_program for plan in drawn} == set(stems.VOICE_PROGRAMS)
    assert {plan.voice_range for plan in drawn} == set(stems.VOICE_RANGES)
    assert {plan.voice_soundfont for plan in drawn} == set(installed_soundfonts())
    assert {plan.lead_program for plan in drawn} == set(stems.LEAD_PROGRAMS)


def test_accompaniment_soundfonts_are_sf2_files_that_load_fast():
    assert all(
        plan.accompaniment_soundfont not in ("FluidR3Mono_GM", "MuseScore_General_Lite")
        for plan in plans()
    )


@pytest.mark.parametrize("voice_range", sorted(stems.VOICE_RANGES))
def test_melody_lead_and_chords_share_the_voice_range(voice_range):
    """Fundamentals 110-660 Hz, and the accompaniment's pitched notes overlap them."""
    plan = next(plan for plan in plans() if plan.voice_range == voice_range)
    rng = np.random.default_rng(1)
    beat_s = 60.0 / plan.tempo_bpm
    chords = [stems._chord_pitches(plan, degree) for degree in plan.progression * 2]
    melody, phrases = stems._vocal_part(plan, chords, beat_s, 20.0, rng)
    lead = stems._lead_part(plan, chords, phrases, beat_s, 20.0, rng)
    low, high = stems.VOICE_RANGES[voice_range]
    sung = [note.pitch for note in melody.instruments[0].notes]
    assert sung and low <= min(sung) and max(sung) <= high
    assert 100 <= librosa.midi_to_hz(min(sung)) and librosa.midi_to_hz(max(sung)) <= 700
    played = [note.pitch for note in lead.notes] + [p for chord in chords for p in chord]
    assert all(low <= pitch <= high + 12 for pitch in played)
    assert len(set(played) & set(sung)) >= 3


def test_formant_filter_boosts_the_first_formant_by_its_gain():
    t = np.arange(SAMPLE_RATE_HZ) / SAMPLE_RATE_HZ
    formants = stems.VOWEL_FORMANTS_HZ["a"]
    at_formant = np.sin(2 * np.pi * formants[0] * t)
    far_away = np.sin(2 * np.pi * 5000.0 * t)
    steady = slice(SAMPLE_RATE_HZ // 2, None)

    def gain_db(tone):
        out = stems.formant_filter(tone, formants)
        return 20 * np.log10(np.abs(out[steady]).max() / np.abs(tone[steady]).max())

    assert gain_db(at_formant) == pytest.approx(stems.FORMANT_GAIN_DB[0], abs=1.0)
    assert abs(gain_db(far_away)) < 1.5


def test_breaths_are_noise_just_before_each_phrase():
    rng = np.random.default_rng(0)
    voice = np.zeros(3 * SAMPLE_RATE_HZ, np.float32)
    voice[SAMPLE_RATE_HZ:] = 0.1 * np.sin(np.arange(2 * SAMPLE_RATE_HZ) * 0.1)
    sung = stems._sing(voice, [(1.0, 3.0)], rng)
    before = sung[SAMPLE_RATE_HZ - 2000 : SAMPLE_RATE_HZ]
    assert np.abs(before).max() > 0
    assert not sung[: SAMPLE_RATE_HZ - round(stems.BREATH_S[1] * SAMPLE_RATE_HZ)].any()


def test_quick_build_lists_its_timbres_in_tracks_csv(built):
    with (built / stems.TRACKS_CSV).open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == stems.SIZES["quick"].n_tracks
    for row in rows:
        assert row["voice"] in stems.VOICE_PROGRAMS.values()
        assert row["voice_range"] in stems.VOICE_RANGES
        assert row["voice_soundfont"] in installed_soundfonts()
        assert row["lead"] in stems.LEAD_PROGRAMS.values()


def test_voice_and_lead_share_the_band_of_sung_fundamentals(built):
    """Most energy of both the vocals and the other stem (lead and chords) lies in
    100-700 Hz, and there the other stem is not negligible next to the voice."""
    hz = librosa.fft_frequencies(sr=SAMPLE_RATE_HZ, n_fft=1024)
    band = (hz >= 100) & (hz <= 700)
    for track in stems.load_synthetic_stems(built):
        power = {
            stem: np.abs(librosa.stft(track.load(stem), n_fft=1024)) ** 2
            for stem in ("vocals", "other")
        }
        for stem, values in power.items():
            assert values[band].sum() > 0.4 * values.sum(), (track.name, stem)
        assert power["other"][band].sum() > 0.1 * power["vocals"][band].sum(), track.name
