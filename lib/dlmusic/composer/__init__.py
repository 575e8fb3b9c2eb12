"""Composer recognition from rows of sheet music: the ``composer`` notebook's given code.

One module per notebook part: :mod:`.rows` (part 1, pages as gray arrays and
rows fitted to the networks' input), :mod:`.dataset` (parts 1-2, row arrays
sliced with the notebook's row finder, the leaky random split), :mod:`.model`
(part 3, the small CNN baseline and the saved weights files),
:mod:`.confidence` (part 5, calibration and abstaining) and :mod:`.inside`
(part 6). What the students write (range profile, row finder, split by piece,
ResNet50, compile and callbacks, precision/recall, piece vote) is not here.
"""
