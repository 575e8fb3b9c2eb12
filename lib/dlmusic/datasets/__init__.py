"""Every corpus the course uses, real and synthetic, behind shared record types.

One module per corpus: the synthetic (offline, default) ones are built here
from packages alone; the real ones are downloaded on a machine with internet.

========================  ==========================  ===========================
notebook                  offline default             real corpus
========================  ==========================  ===========================
``transcription``         :mod:`.synthetic_piano`     :mod:`.maestro` (MAESTRO v3)
``composer``              :mod:`.synthetic_scores`    :mod:`.sheet_folder`
``vocals``                :mod:`.synthetic_stems`     :mod:`.musdb` (MUSDB18(-HQ))
========================  ==========================  ===========================

Shared layouts and record types live in :mod:`.records`; the cache folder in
:mod:`.paths`; downloads in :mod:`.download`.
"""
