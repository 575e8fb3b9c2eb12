"""Composer recognition from rows of sheet music, the ``composer`` notebook's library.

One module per notebook part: :mod:`.rows` (part 1, pages to rows),
:mod:`.dataset` (parts 1-2, row arrays and piece-level splits), :mod:`.model`
(part 3, ResNet50 and a small CNN, SGD with decay, callbacks),
:mod:`.confidence` (part 5), :mod:`.inspect` (part 6) and :mod:`.grading`
(the autograder's held-out measurements). These are the reference
implementations the hidden tests compare students' code against.
"""
