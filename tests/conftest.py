"""Session-wide fixtures: the real sandbox world (started once per test session) and test switches."""

from __future__ import annotations

import os

# Nothing may reach the network at import time: set before any library import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("FEAST_USAGE", "False")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
