"""What crosses the gateway: who calls (:class:`CallContext`), what comes back (:class:`ToolResult`,
:class:`LLMReply`), and which environment a call targets (:func:`environment_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

ALIAS_ENVIRONMENTS = {
    "champion": "production",
    "production": "production",
    "prod": "production",
    "staging": "staging",
}


class Redacting(Protocol):
    def redact_obj(self, obj: Any, scope: str = "default") -> Any: ...

    def redact_text(self, text: str, scope: str = "default") -> str: ...


@dataclass(frozen=True)
class CallContext:
    """Who is calling, for which run, and where.

    Attributes:
        principal: ``agent:triage``, ``slack:U…``, ``token:…``.
        run_id: the agent run (also the audit's run id and, by default, the pseudonym scope).
        environment: the environment a call targets when its arguments do not say.
        scope: pseudonym scope (an incident id keeps tokens stable across runs of one incident).
    """

    principal: str
    run_id: str
    environment: str = "production"
    scope: str | None = None

    @property
    def pseudonym_scope(self) -> str:
        return self.scope or self.run_id


@dataclass(frozen=True)
class ToolResult:
    tool: str
    evidence_id: str
    data: Any
    latency_ms: float
    audit_seq: int


@dataclass(frozen=True)
class LLMReply:
    """What an LLM invocation returns to the gateway."""

    content: Any
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def environment_of(args: BaseModel, default: str) -> str:
    """The environment a call targets: an explicit ``environment`` argument, else the alias's, else ``default``."""
    env = getattr(args, "environment", None)
    if isinstance(env, str) and env:
        return env
    alias = getattr(args, "alias", None)
    if isinstance(alias, str) and alias:
        return ALIAS_ENVIRONMENTS.get(alias.lower(), "dev")
    return default
