"""The MLflow client is built on the first registry call, and never loads Feast's MLflow plugin.

Each case runs in a fresh interpreter: what matters is which modules a process ends up importing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict[str, object]:
    env = {**os.environ, "MLFLOW_HTTP_REQUEST_TIMEOUT": "1", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_feast_registers_an_mlflow_header_provider_here() -> None:
    """The premise: without the filter, MLflow's first request would import Feast."""
    names = [ep.value for ep in entry_points(group="mlflow.request_header_provider")]
    assert any(value.startswith("feast.") for value in names), names


def test_building_the_registry_and_its_tools_does_not_import_mlflow() -> None:
    seen = _run(
        "import json, sys\n"
        "from tools.mlflow_registry import MlflowRegistry, specs\n"
        "tools = specs(MlflowRegistry.from_uri('http://127.0.0.1:1'))\n"
        "print(json.dumps({'tools': len(tools), 'mlflow': 'mlflow' in sys.modules}))\n"
    )
    assert seen == {"tools": seen["tools"], "mlflow": False} and int(str(seen["tools"])) > 5


def test_the_first_call_loads_mlflow_but_not_feast() -> None:
    seen = _run(
        "import json, sys\n"
        "from tools.errors import ToolError\n"
        "from tools.mlflow_registry import MlflowRegistry\n"
        "registry = MlflowRegistry.from_uri('http://127.0.0.1:1')\n"
        "try:\n"
        "    registry.list_models()\n"
        "except ToolError as exc:\n"
        "    error = type(exc).__name__\n"
        "from mlflow.tracking.request_header.registry import _request_header_provider_registry as reg\n"
        "print(json.dumps({'error': error, 'mlflow': 'mlflow' in sys.modules, 'feast': 'feast' in sys.modules,\n"
        "                  'providers': sorted(type(p).__name__ for p in reg)}))\n"
    )
    assert seen["error"] == "SourceUnavailable"
    assert seen["mlflow"] is True and seen["feast"] is False
    assert seen["providers"] == ["DatabricksRequestHeaderProvider", "DefaultRequestHeaderProvider"]


def test_an_injected_client_gets_the_same_filtered_providers() -> None:
    seen = _run(
        "import json, sys\n"
        "from mlflow.tracking import MlflowClient\n"
        "from tools.mlflow_registry import MlflowRegistry\n"
        "MlflowRegistry(MlflowClient(tracking_uri='http://127.0.0.1:1'))\n"
        "from mlflow.tracking.request_header.registry import _request_header_provider_registry as reg\n"
        "print(json.dumps({'feast': 'feast' in sys.modules, 'n': len(list(reg))}))\n"
    )
    assert seen == {"feast": False, "n": 2}
