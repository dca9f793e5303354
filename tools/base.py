"""What a tool is, as the gateway sees it.

A tool module builds :class:`ToolSpec` objects around a client instance. The gateway validates the
arguments with ``input_model``, applies the policy for ``action``, calls ``func`` with the validated
model and redacts/audits whatever comes back (a pydantic model, dict, list or str).

Deadlines: the gateway runs ``func`` under :func:`run_with_deadline`; a client that waits on a network
or a process asks :func:`time_left` for its own timeout, so it gives up no later than the gateway does
and a timed-out call does not keep running in the background (a Python thread cannot be killed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
R = TypeVar("R")

_DEADLINE: ContextVar[float | None] = ContextVar("referent_tool_deadline", default=None)


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
        timeout_scale: how many tool timeouts (``REFERENT_TOOL_TIMEOUT_S``) the call may take; 1 for
            reads, more for inherently long work (a backfill). See :meth:`with_timeout`.
    """

    name: str
    description: str
    input_model: type[BaseModel]
    action: ActionClass
    func: Callable[[Any], Any]
    source: str
    timeout_s: float = 30.0
    tags: tuple[str, ...] = field(default_factory=tuple)
    timeout_scale: float = 1.0

    def with_timeout(self, tool_timeout_s: float) -> ToolSpec:
        """This spec with its deadline set from the one tool timeout setting (times ``timeout_scale``)."""
        return replace(self, timeout_s=tool_timeout_s * self.timeout_scale)


def run_with_deadline(deadline: float | None, func: Callable[[T], R], arg: T) -> R:
    """Call ``func(arg)`` with ``deadline`` (a :func:`time.monotonic` instant) visible to :func:`time_left`."""
    token = _DEADLINE.set(deadline)
    try:
        return func(arg)
    finally:
        _DEADLINE.reset(token)


def time_left(cap_s: float) -> float:
    """Seconds a client may still wait in the current tool call: at most ``cap_s``, never below 0.

    Outside a gateway call (no deadline set) this is ``cap_s``.
    """
    deadline = _DEADLINE.get()
    if deadline is None:
        return cap_s
    return max(0.0, min(cap_s, deadline - time.monotonic()))


def to_jsonable(value: Any) -> Any:
    """Turn a tool result into plain JSON-able data (pydantic models dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
