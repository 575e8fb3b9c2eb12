"""Pictures, example audio and a small model for the ``problem_set`` notebook.

Notebook: ``solutions/problem_set/problem_set.ipynb`` (analytical problems on
median filtering and weighted cross-entropy).

:mod:`.example_piece`
    A six-second piece for piano and drums, built with pretty_midi and rendered
    stem by stem (median filtering, harmonic-percussive separation, onsets).
:mod:`.piano_roll`
    Note and onset grids (frames x keys) of a piece, read off pretty_midi's
    piano roll: the piano roll of 1.3 and the onset targets of 2.4.
:mod:`.images`
    Salt-and-pepper noise, and side-by-side pictures of images and small
    integer matrices.
:mod:`.logistic`
    A per-cell logistic regression trained with the loss and gradient the
    student writes, to show what an unweighted and a weighted loss learn.

None of these compute a graded answer: the grader checks every answer against
scipy, librosa, scikit-learn or plain numpy, outside the student's package.
"""
