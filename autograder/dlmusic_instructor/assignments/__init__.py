"""Hidden checks of each assignment: one module per assignment id, each with ``CHECKS``."""
