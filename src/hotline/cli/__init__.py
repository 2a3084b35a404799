"""The ``hotline`` command: one module per verb."""
