"""The promotion-check agent: gates a model version against its champion, then moves the alias.

Entry points: :func:`run_promotion`, :func:`run_rollback`, :func:`resume_run` (``agents.promotion.run``).
The names below are re-exported lazily (PEP 562): importing a submodule such as
``agents.promotion.models`` does not load the graph or LangGraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.lazy import lazy_exports

if TYPE_CHECKING:
    from agents.promotion.models import GateResult, GateStatus, PromotionReport
    from agents.promotion.run import ApprovalPending, PromotionError, resume_run, run_promotion, run_rollback

_EXPORTS = {
    "GateResult": "agents.promotion.models",
    "GateStatus": "agents.promotion.models",
    "PromotionReport": "agents.promotion.models",
    "ApprovalPending": "agents.promotion.run",
    "PromotionError": "agents.promotion.run",
    "resume_run": "agents.promotion.run",
    "run_promotion": "agents.promotion.run",
    "run_rollback": "agents.promotion.run",
}

__all__ = [
    "ApprovalPending",
    "GateResult",
    "GateStatus",
    "PromotionError",
    "PromotionReport",
    "resume_run",
    "run_promotion",
    "run_rollback",
]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
