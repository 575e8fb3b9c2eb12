"""Reference implementations of what students write: one module per assignment (instructor only)."""
