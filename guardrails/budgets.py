"""Per-run budgets: tool calls, LLM tokens and money.

A :class:`RunBudget` is charged by the gateway before each call (one tool call) and after each LLM
call (tokens and cost). ``check_llm`` refuses a model call that would start past the budget, so a run
ends with a partial answer instead of an overrun.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from guardrails.errors import BudgetExceeded
from guardrails.policy import Budget


@dataclass
class RunBudget:
    limits: Budget
    tool_calls: int = 0
    llm_tokens: int = 0
    cost_usd: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def charge_tool_call(self, tool: str) -> None:
        with self._lock:
            if self.limits.tool_calls is not None and self.tool_calls >= self.limits.tool_calls:
                raise BudgetExceeded(
                    tool, f"tool-call budget of {self.limits.tool_calls} used up", "tool_calls"
                )
            self.tool_calls += 1

    def check_llm(self, tool: str, estimated_tokens: int = 0) -> None:
        with self._lock:
            if (
                self.limits.llm_tokens is not None
                and self.llm_tokens + estimated_tokens > self.limits.llm_tokens
            ):
                raise BudgetExceeded(
                    tool, f"token budget of {self.limits.llm_tokens} would be exceeded", "llm_tokens"
                )
            if self.limits.cost_usd is not None and self.cost_usd >= self.limits.cost_usd:
                raise BudgetExceeded(tool, f"money budget of ${self.limits.cost_usd:.2f} used up", "cost_usd")

    def charge_llm(self, tokens: int, cost_usd: float) -> None:
        with self._lock:
            self.llm_tokens += tokens
            self.cost_usd += cost_usd

    def snapshot(self) -> dict[str, float | int | None]:
        return {
            "tool_calls": self.tool_calls,
            "llm_tokens": self.llm_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "limit_tool_calls": self.limits.tool_calls,
            "limit_llm_tokens": self.limits.llm_tokens,
            "limit_cost_usd": self.limits.cost_usd,
        }
