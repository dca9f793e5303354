"""What collectors hand to the reasoner: targets to look at, and findings (typed signals with evidence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from agents.triage.kinds.base import Signal
from agents.triage.models import Culprit


class Targets(BaseModel):
    """The entities an alert is about, named by its labels or resolved from them.

    ``direct`` holds the entity names the alert's labels spell out; everything else was inferred
    (a workload's model from its pod labels, a model's serving services from its request metrics).
    """

    namespace: str | None = None
    model: str | None = None
    model_direct: bool = False
    workloads: list[str] = Field(default_factory=list, description="workload (owner) / app / service names")
    pods: dict[str, list[str]] = Field(default_factory=dict, description="workload → its pods (owner refs)")
    pod_names: list[str] = Field(default_factory=list, description="pods the alert names")
    containers: list[str] = Field(default_factory=list, description="containers the alert names")
    services: list[str] = Field(default_factory=list, description="request-metric service names")
    model_services: list[str] = Field(default_factory=list, description="services with model_requests_total")
    feature_views: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list, description="feature refs view:feature")
    feature: str | None = Field(default=None, description="feature name the alert names")
    direct: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def names(self) -> dict[str, Any]:
        return self.model_dump(
            exclude={"direct", "notes", "model_direct", "pod_names", "containers"}, exclude_defaults=True
        )

    def view_of(self, feature: str) -> str | None:
        """The feature view of a feature name among the model's feature refs."""
        for ref in self.features:
            view, _, name = ref.partition(":")
            if name == feature:
                return view
        return None


class Finding(BaseModel):
    """One observation a collector made, strong enough to matter, with the evidence behind it.

    ``signal`` is a :class:`agents.triage.kinds.base.Signal` (an unknown name fails validation); ``strength`` in [0, 1] scales its
    weight (how far past the threshold, how close in time).
    """

    signal: Signal
    subject: Culprit
    strength: float = Field(default=1.0, ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)
    at: datetime | None = None
    value: Any = None
    detail: str = ""


class CollectorOutput(BaseModel):
    """What one collector returns into the graph state."""

    collector: str
    findings: list[Finding] = Field(default_factory=list)
    context: dict[str, Any] = Field(default_factory=dict, description="facts for the report (not signals)")
