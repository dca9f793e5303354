"""Interfaces: FastAPI app, the `referent` CLI, the scheduler."""
