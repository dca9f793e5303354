"""Scorers: each a small pure function of a scenario's outcome (no server access)."""
