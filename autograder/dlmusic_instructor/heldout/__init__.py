"""Held-out data and model scoring for the graded models: one module per assignment (instructor only)."""
