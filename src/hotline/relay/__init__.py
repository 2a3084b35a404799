"""Relay: the alert lifecycle (create, acknowledge) and its signed receipts; pure code."""
