"""Held-out data and the scoring of handed-in models, one module per assignment."""
