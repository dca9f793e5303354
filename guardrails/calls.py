"""What crosses the gateway: who calls (:class:`CallContext`), what comes back (:class:`ToolResult`,
:class:`LLMReply`), and which environment a call targets (:func:`environment_of`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from guardrails.identity import check_principal


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
        requested_by: the human who started the run (``user:…``, ``slack:…``), if one did; recorded on
            its approvals, and never allowed to approve them.
        deadline: when the run must stop (a :func:`time.monotonic` instant), if it has one: later
            calls are refused and each call's timeout is capped at the time left.

    Raises:
        InvalidPrincipal: ``principal`` or ``requested_by`` is a group, a glob or malformed.
    """

    principal: str
    run_id: str
    environment: str = "production"
    scope: str | None = None
    requested_by: str | None = None
    deadline: float | None = None

    def __post_init__(self) -> None:
        check_principal(self.principal)
        if self.requested_by is not None:
            check_principal(self.requested_by)

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


def environment_of(args: BaseModel, default: str, alias_environment: Callable[[str], str]) -> str:
    """The environment a call targets: an explicit ``environment`` argument, else its ``alias``'s
    (``alias_environment``, the policy's map: unknown aliases are production), else ``default``."""
    env = getattr(args, "environment", None)
    if isinstance(env, str) and env:
        return env
    alias = getattr(args, "alias", None)
    if isinstance(alias, str) and alias:
        return alias_environment(alias)
    return default
