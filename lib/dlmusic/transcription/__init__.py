"""The Basic-Pitch-style transcriber of the ``transcription`` notebook.

One module per notebook part: :mod:`.constants` (the numbers), :mod:`.cqt`
(part 1), :mod:`.harmonics` (part 2), :mod:`.targets` (part 3), :mod:`.model`
(part 4), :mod:`.training` (part 5), :mod:`.notes` and :mod:`.metrics`
(part 6), :mod:`.augment` (part 7). These are the reference implementations
the hidden tests compare students' code against.
"""
