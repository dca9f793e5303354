"""What a tool is, as the gateway sees it.

A tool module builds :class:`ToolSpec` objects around a client instance. The gateway validates the
arguments with ``input_model``, applies the policy for ``action``, calls ``func`` with the validated
model and redacts/audits whatever comes back (a pydantic model, dict, list or str).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class ActionClass(StrEnum):
    """How much a call can change the world; the policy keys on it."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


@dataclass(frozen=True)
class ToolSpec:
    """One callable tool.

    Attributes:
        name: dotted, stable name used by the policy and the audit (``prometheus.query``).
        description: what the model reads: must say exactly what the tool does and returns.
        input_model: pydantic model of the arguments.
        action: read / write / destructive.
        func: called with a validated ``input_model`` instance.
        source: the system behind it (prometheus, mlflow, feast, billing, llm).
        timeout_s: deadline the gateway enforces on the call.
    """

    name: str
    description: str
    input_model: type[BaseModel]
    action: ActionClass
    func: Callable[[Any], Any]
    source: str
    timeout_s: float = 30.0
    tags: tuple[str, ...] = field(default_factory=tuple)


def to_jsonable(value: Any) -> Any:
    """Turn a tool result into plain JSON-able data (pydantic models dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
