"""Fixtures shared by the test modules: synthetic tones, their spectral peak, a data cache."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def tone() -> Callable[..., np.ndarray]:
    """Factory of float32 sines: ``tone(freq_hz, sr, duration_s, amplitude)``."""

    def make(
        freq_hz: float = 440.0,
        sr: int = 22050,
        duration_s: float = 1.0,
        amplitude: float = 0.5,
    ) -> np.ndarray:
        t = np.arange(round(duration_s * sr)) / sr
        return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)

    return make


@pytest.fixture
def peak_hz() -> Callable[[np.ndarray, int], float]:
    """Function giving the frequency (Hz) of the strongest bin of a Hann-windowed spectrum."""

    def find(audio: np.ndarray, sr: int) -> float:
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
        return float(np.fft.rfftfreq(audio.size, d=1 / sr)[np.argmax(spectrum)])

    return find


@pytest.fixture(scope="session")
def quick_data_dir(tmp_path_factory) -> Path:
    """One dataset cache for the tests that execute notebooks (built on first use)."""
    return tmp_path_factory.mktemp("dlmusic-data")
