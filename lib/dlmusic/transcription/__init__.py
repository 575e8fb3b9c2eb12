"""Given code of the ``transcription`` notebook (Basic-Pitch-style transcriber).

One module per notebook part: :mod:`.constants` (the numbers), :mod:`.splits`
(the data), :mod:`.cqt` and :mod:`.cqt_comparison` (part 1: the CQT layer,
built from the student's kernel function, against librosa and nnAudio),
:mod:`.harmonics` (part 2: the harmonic-stacking layer), :mod:`.targets`
(part 3: notes and the contour target), :mod:`.model` (part 4: what the
network must look like, and its convolution), :mod:`.training`, :mod:`.data`
and :mod:`.experiments` (part 5: loss settings, training windows, training
the networks), :mod:`.notes`, :mod:`.metrics` and :mod:`.evaluation` (parts 6
and 9: note creation, scores tables, confidence), :mod:`.augment` (part 7),
:mod:`.saved` (the saved networks), :mod:`.validation` (part 8: the smoke
test and the run log), :mod:`.plots` and :mod:`.sounds` (the figures and the
players) and :mod:`.visible_tests` (the test cell after each exercise). What
the student writes is not here: the notebook passes its own functions where
this code needs them.
"""
