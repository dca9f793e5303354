"""Our import packages resolve inside this repository (``agents`` and ``guardrails`` also exist on PyPI),
and imports only go downward: api → agents → guardrails → tools."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["agents", "tools", "guardrails", "evals", "runbooks", "api"]
LAYER = {"tools": 0, "guardrails": 1, "agents": 2, "api": 3}


@pytest.mark.parametrize("name", PACKAGES)
def test_package_resolves_in_repo(name):
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().is_relative_to(ROOT / name)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", ["tools", "guardrails", "agents"])
def test_imports_go_downward(layer):
    offenders = []
    for path in (ROOT / layer).rglob("*.py"):
        for imported in _imports(path):
            if imported in LAYER and LAYER[imported] > LAYER[layer]:
                offenders.append(f"{path.relative_to(ROOT)} imports {imported}")
            if imported == "evals":
                offenders.append(f"{path.relative_to(ROOT)} imports evals")
    assert not offenders, offenders
