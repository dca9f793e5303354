"""The promotion-check agent: gates a model version against its champion, then moves the alias.

Entry points: :func:`run_promotion`, :func:`run_rollback`, :func:`resume_run` (``agents.promotion.run``).
"""

from agents.promotion.models import GateResult, GateStatus, PromotionReport
from agents.promotion.run import ApprovalPending, PromotionError, resume_run, run_promotion, run_rollback

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
