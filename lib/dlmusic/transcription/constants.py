"""The numbers that define the transcriber, named once (Basic Pitch's values).

Notebook: ``solutions/transcription`` (every section uses these).
"""

from __future__ import annotations

import math

from dlmusic.audio import SAMPLE_RATE_HZ

HOP_SAMPLES = 256
"""CQT hop: one frame every 256 samples."""
FRAMES_PER_SECOND = SAMPLE_RATE_HZ / HOP_SAMPLES
"""86.13 frames per second."""
WINDOW_S = 2.0
"""Training windows are two seconds long."""
WINDOW_SAMPLES = round(WINDOW_S * SAMPLE_RATE_HZ) - HOP_SAMPLES
"""43844 samples: two seconds less one hop, so a window gives exactly WINDOW_FRAMES frames."""
WINDOW_FRAMES = 172
"""CQT frames in one window (centred frames of WINDOW_SAMPLES samples)."""

LOWEST_MIDI = 21
"""A0, the piano's lowest key, the bottom of every pitch axis."""
N_KEYS = 88
"""Piano keys: the note (Yn) and onset (Yo) heads have one bin per key."""
HIGHEST_MIDI = LOWEST_MIDI + N_KEYS - 1
"""C8 (MIDI 108), the piano's highest key."""
FMIN_HZ = 27.5
"""Frequency of A0 (MIDI 21), the lowest CQT bin."""
BINS_PER_SEMITONE = 3
"""Contour (Yp) resolution: three CQT bins per semitone."""
BINS_PER_OCTAVE = 12 * BINS_PER_SEMITONE
"""36 CQT bins per octave."""
N_CONTOUR_BINS = N_KEYS * BINS_PER_SEMITONE
"""264 contour bins: the stacked CQT is cropped to these."""

HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7)
"""Harmonic stacking: the sub-harmonic, the fundamental and six overtones."""
MAX_CQT_SEMITONES = math.floor(12 * math.log2(0.5 * SAMPLE_RATE_HZ / FMIN_HZ))
"""103 semitones fit below the Nyquist frequency."""
N_CQT_SEMITONES = min(N_KEYS + math.ceil(12 * math.log2(max(HARMONICS))), MAX_CQT_SEMITONES)
"""The CQT spans 88 keys plus the room the highest harmonic needs, capped below Nyquist."""
N_CQT_BINS = N_CQT_SEMITONES * BINS_PER_SEMITONE
"""309 CQT bins."""
LIBROSA_CQT_SETTINGS = {
    "sr": SAMPLE_RATE_HZ,
    "hop_length": HOP_SAMPLES,
    "fmin": FMIN_HZ,
    "n_bins": N_CQT_BINS,
    "bins_per_octave": BINS_PER_OCTAVE,
}
"""The CQT layer's settings as ``librosa.cqt`` keywords (nnAudio's ``CQT2010v2`` takes the same)."""
