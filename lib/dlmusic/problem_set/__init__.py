"""Pictures, example audio and a small model for the ``problem_set`` notebook.

Notebook: ``solutions/problem_set/problem_set.ipynb`` (analytical problems on
median filtering and weighted cross-entropy).

:mod:`.example_piece`
    A six-second piece for piano and drums, built with pretty_midi and rendered
    stem by stem (median filtering, harmonic-percussive separation, onsets).
:mod:`.images`
    Salt-and-pepper noise, and side-by-side pictures of images and small
    integer matrices.
:mod:`.logistic`
    A per-cell logistic regression trained with the loss and gradient the
    student writes, to show what an unweighted and a weighted loss learn.

None of these compute a graded answer: the hidden tests of the notebook check
every answer against scipy, librosa, scikit-learn or plain numpy.
"""
