"""Singing-voice extraction with an STFT mask network: the given code.

Notebook: ``solutions/vocals/vocals.ipynb``. The student writes the STFT, the
ideal masks, the malformed-frame rules, separating a track and the network;
this package gives the rest, one module per part:

- :mod:`~dlmusic.vocals.stft`: the STFT settings and the inverse STFT;
- :mod:`~dlmusic.vocals.data`: track metadata CSV, LRU cache of decoded
  tracks, the Keras ``PyDataset`` of frame sequences (it takes the student's
  STFT, mask and malformed-frame rules as parameters);
- :mod:`~dlmusic.vocals.model`: the log-magnitude layer, the mask loss,
  where the trained networks' weights are saved;
- :mod:`~dlmusic.vocals.metrics`: SDR / SIR / SAR with ``mir_eval`` on short segments.
"""
