"""Tactical layer: live track state, prediction, conflict detection, feed parsers (pure code)."""
