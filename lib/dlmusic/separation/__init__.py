"""Singing-voice extraction with an STFT mask network.

Notebook: ``solutions/vocals/vocals.ipynb``. One module per part of it:

- :mod:`~dlmusic.separation.stft`: the STFT settings, STFT and inverse STFT;
- :mod:`~dlmusic.separation.masks`: ideal binary and ratio masks, applying a mask;
- :mod:`~dlmusic.separation.data`: track metadata CSV, LRU cache of decoded
  tracks, malformed-frame checks, the Keras ``PyDataset`` of frame sequences;
- :mod:`~dlmusic.separation.model`: the LSTM mask estimator and separating a track;
- :mod:`~dlmusic.separation.metrics`: SDR / SIR / SAR with ``mir_eval`` on short segments;
- :mod:`~dlmusic.separation.grading`: saved weights and held-out scoring.
"""
