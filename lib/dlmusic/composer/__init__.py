"""Composer recognition from rows of sheet music: the ``composer`` notebook's given code.

One module per job, each named by the notebook part that uses it:
:mod:`.rows` (part 1, pages as gray arrays, rows fitted to the networks'
input, the row finder made of the student's two functions), :mod:`.dataset`
(parts 1-2, row arrays, the leaky random split and the splits' summary),
:mod:`.model` (part 3, the small CNN baseline and the saved weights files),
:mod:`.training` (part 3, the notebook's budget, training with the student's
compile step and callbacks), :mod:`.evaluation` (parts 3-5, predictions,
accuracy and per-composer tables), :mod:`.confidence` (part 5, calibration
and abstaining), :mod:`.inside` (part 6, activations, filters, Grad-CAM),
:mod:`.shortcut` (part 7, the per-composer engraving experiment) and
:mod:`.figures` (the notebook's plots). What the students write (range
profile, row finder, split by piece, ResNet50, compile and callbacks,
precision/recall, piece vote) is not here.
"""
