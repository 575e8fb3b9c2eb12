"""Loss settings and callbacks for training the NMP network.

Notebook: ``solutions/transcription``, part 5 ("Loss and training"); the
weighting is derived in the ``problem_set`` notebook.

Every head is trained with binary cross-entropy, which the notebook writes
(``weighted_bce``). Onsets are rare (well under 1 % of the onset targets are
1), so an unweighted loss is minimised by predicting "no onset" everywhere;
Basic Pitch gives positive onset cells the weight :data:`ONSET_POSITIVE_WEIGHT`.
"""

from __future__ import annotations

from dlmusic.callbacks import training_callbacks

__all__ = ["LABEL_SMOOTHING", "ONSET_POSITIVE_WEIGHT", "training_callbacks"]

ONSET_POSITIVE_WEIGHT = 0.95
"""Basic Pitch's weight for positive onset targets (negatives get 1 - 0.95)."""
LABEL_SMOOTHING = 0.2
"""Basic Pitch's label smoothing: targets 0/1 become 0.1/0.9."""
