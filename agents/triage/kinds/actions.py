"""Mitigation builders shared by several cause kinds."""

from __future__ import annotations

from agents.triage.kinds.base import Mitigation
from agents.triage.models import Hypothesis, NextAction


def resize(title: str) -> Mitigation:
    """A resize suggestion for the culprit workload; ``title`` has a ``{workload}`` field."""

    def suggest(h: Hypothesis) -> list[NextAction]:
        workload = h.culprit.workload
        if not workload:
            return []
        return [
            NextAction(
                title=title.format(workload=workload),
                command=f"referent rightsize --workload {workload}",
                requires_approval=True,
            )
        ]

    return suggest


def rematerialize(first: str) -> Mitigation:
    """Fix the writer of the culprit feature view (``first`` names how), then re-materialize it."""

    def suggest(h: Hypothesis) -> list[NextAction]:
        view = h.culprit.feature_view
        if not view:
            return []
        return [
            NextAction(title=f"{first} {view}"),
            NextAction(
                title=f"Re-materialize {view} from the offline store",
                tool="feast.materialize",
                arguments={"name": view},
                requires_approval=True,
            ),
        ]

    return suggest
