"""The instructor pipeline: collect, repair, autograde in a sandbox, export and feedback."""
