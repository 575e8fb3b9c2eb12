"""Loss settings and callbacks for training the NMP network.

Notebook: ``solutions/transcription``, part 5 ("Loss and training"); the
weighting is derived in the ``problem_set`` notebook.

Every head is trained with binary cross-entropy, which the notebook writes
(``weighted_bce``, per cell, and ``class_mean_bce``, Basic Pitch's per-class
means). Onsets are rare (well under 1 % of the onset targets are 1), so an
unweighted loss is minimised by predicting "no onset" everywhere. The notebook
weights each positive onset cell by :data:`ONSET_POSITIVE_WEIGHT`; Basic Pitch
uses the same number as the weight of the positives' *mean* loss.
"""

from __future__ import annotations

from dlmusic.callbacks import training_callbacks

__all__ = ["LABEL_SMOOTHING", "ONSET_POSITIVE_WEIGHT", "training_callbacks"]

ONSET_POSITIVE_WEIGHT = 0.95
"""Onset weight of the positives: per cell in the notebook's training (negatives 0.05 each);
Basic Pitch's number, which it applies to the positive cells' mean loss."""
LABEL_SMOOTHING = 0.2
"""Basic Pitch's label smoothing: targets 0/1 become 0.1/0.9."""
