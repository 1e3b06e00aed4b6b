"""Property tests: one module per invariant of the engine."""
