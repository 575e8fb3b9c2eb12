"""Players and plots for the notebooks: listen to and look at what the model sees.

Players (:mod:`dlmusic.display.players`)
    :func:`play` one clip; :func:`compare_players` for clips side by side
    (e.g. reference / prediction / augmented). Both are static HTML with the
    audio embedded, so they still play in a saved notebook without a kernel.

Plots (:mod:`dlmusic.display.plots`), each returning a
:class:`matplotlib.figure.Figure`
    :func:`plot_waveform`, :func:`plot_spectrogram`, :func:`plot_piano_roll`
    (hits, misses and false alarms of a transcription),
    :func:`plot_training_curves` (a Keras ``CSVLogger`` file) and
    :func:`plot_confusion_matrix` (with :func:`confusion_counts`).
"""

from dlmusic.display.players import AudioComparison, compare_players, play
from dlmusic.display.plots import (
    confusion_counts,
    plot_confusion_matrix,
    plot_piano_roll,
    plot_spectrogram,
    plot_training_curves,
    plot_waveform,
)

__all__ = [
    "AudioComparison",
    "compare_players",
    "confusion_counts",
    "play",
    "plot_confusion_matrix",
    "plot_piano_roll",
    "plot_spectrogram",
    "plot_training_curves",
    "plot_waveform",
]
