"""Evidence: what a run gathered through the gateway, each piece with an id claims can cite.

:func:`compact` and :func:`evidence_lines` are what a model sees of it: short summaries, never raw tool
output (a small local model reads about 35 prompt tokens a second on one core).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Evidence(BaseModel):
    """One gathered fact. ``id`` is the gateway's evidence id (E1, E2, ...) of the call that produced it."""

    id: str
    source: str = Field(description="prometheus | mlflow | feast | billing | runbooks")
    tool: str
    query: str = Field(description="what was asked: PromQL, model/version, view name, ...")
    summary: str = Field(description="one line a human can read")
    value: Any = None
    at: datetime | None = None
    data: Any = Field(default=None, exclude=True, description="the redacted tool result")


class SourceStatus(BaseModel):
    source: str
    ok: bool
    error: str = ""


class EvidenceLedger(BaseModel):
    """All evidence of one run plus which sources answered."""

    items: list[Evidence] = Field(default_factory=list)
    sources: dict[str, SourceStatus] = Field(default_factory=dict)

    def add(self, item: Evidence) -> Evidence:
        self.items.append(item)
        self.sources.setdefault(item.source, SourceStatus(source=item.source, ok=True))
        return item

    def failed(self, source: str, error: str) -> None:
        self.sources[source] = SourceStatus(source=source, ok=False, error=error)

    def ids(self) -> set[str]:
        return {e.id for e in self.items}

    def get(self, evidence_id: str) -> Evidence | None:
        return next((e for e in self.items if e.id == evidence_id), None)

    def missing_sources(self) -> list[str]:
        return sorted(s.source for s in self.sources.values() if not s.ok)

    def merge(self, other: EvidenceLedger) -> EvidenceLedger:
        merged = EvidenceLedger(items=[*self.items, *other.items], sources={**self.sources})
        for name, status in other.sources.items():
            if not status.ok or name not in merged.sources:
                merged.sources[name] = status
        return merged


MAX_ITEMS = 5
MAX_STR = 120


def _shrink(value: Any, depth: int = 0) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, str):
        return value if len(value) <= MAX_STR else value[:MAX_STR] + "…"
    if depth >= 4:
        return "…"
    if isinstance(value, dict):
        return {str(k): _shrink(v, depth + 1) for k, v in list(value.items())[:12]}
    if isinstance(value, (list, tuple)):
        head = [_shrink(v, depth + 1) for v in value[:MAX_ITEMS]]
        return head + ([f"(+{len(value) - MAX_ITEMS} more)"] if len(value) > MAX_ITEMS else [])
    return value


def compact(data: Any, max_chars: int) -> str:
    """``data`` as short JSON: long lists cut to their first items, floats to 4 digits, at most ``max_chars``."""
    text = json.dumps(_shrink(data), default=str, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def evidence_lines(items: Iterable[Evidence], *, limit: int, value_chars: int = 60) -> list[str]:
    """One line per evidence item for a prompt: id, source, summary and a short value (no raw data)."""
    lines = []
    for e in list(items)[:limit]:
        value = "" if e.value is None else f" = {compact(e.value, value_chars)}"
        lines.append(f"{e.id}: ({e.source}) {e.summary[:120]}{value}")
    return lines
