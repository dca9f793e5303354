"""Lazy re-exports for the agent packages (PEP 562): importing ``agents.triage.models`` must not load the
graph, LangGraph or the collectors just because the package ``__init__`` names them."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` on first use and caches it in ``namespace``.

    Args:
        package: the package's ``__name__`` (for the AttributeError message).
        exports: public name → module that defines it.
        namespace: the package's ``globals()``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
