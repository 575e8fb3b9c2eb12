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
:mod:`.spectrogram`
    The piece's log-CQT as a [0, 1] image (1.3, 2.4).
:mod:`.separation`
    The harmonic and percussive parts as audio, their errors against the true
    stems, and their spectrograms (1.5).
:mod:`.logistic`
    A per-cell logistic regression trained with the loss and gradient the
    student writes, to show what an unweighted and a weighted loss learn (2.4).
:mod:`.toy`
    The toy detection problem with exact posteriors, and its F-curve (2.5).

None of these compute a graded answer: the grader checks every answer against
its own references (scipy, librosa, scikit-learn), outside the student's package.
"""
