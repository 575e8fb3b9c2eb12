"""Given code of the ``transcription`` notebook (Basic-Pitch-style transcriber).

One module per notebook part: :mod:`.constants` (the numbers), :mod:`.cqt`
(part 1: the CQT layer, built from the student's kernel function),
:mod:`.harmonics` (part 2: the harmonic-stacking layer), :mod:`.targets`
(part 3: notes and the contour target), :mod:`.model` (part 4: what the
network must look like), :mod:`.training` and :mod:`.data` (part 5: loss
settings, callbacks, training windows), :mod:`.notes` and :mod:`.metrics`
(parts 6 and 9: note creation, scores by confidence), :mod:`.augment`
(part 7), :mod:`.saved` (the saved networks). What the student writes is not
here: the notebook passes its own functions where this code needs them.
"""
