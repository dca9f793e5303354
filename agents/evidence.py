"""Evidence: what a run gathered through the gateway, each piece with an id claims can cite."""

from __future__ import annotations

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
