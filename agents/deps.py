"""What every agent receives: a frozen dependencies object (gateway, call context, model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel

from agents.evidence import Evidence, EvidenceLedger
from agents.llm import Answer, GuardedChat, LoopResult, offered_tools, run_tool_loop
from agents.settings import LLMSettings
from guardrails.errors import GatewayError, ToolFailed
from guardrails.gateway import CallContext, Gateway, ToolResult

T = TypeVar("T", bound=Answer)


@dataclass(frozen=True)
class AgentDeps:
    """Injected into every graph node. ``chat`` None means the deterministic reasoner."""

    gateway: Gateway
    ctx: CallContext
    chat: BaseChatModel | None = None
    llm: LLMSettings = field(default_factory=LLMSettings)
    now: datetime | None = None

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def call(self, tool: str, **args: Any) -> ToolResult:
        return self.gateway.call(self.ctx, tool, args)

    def guarded_chat(self) -> GuardedChat | None:
        if self.chat is None:
            return None
        return GuardedChat(
            self.chat, self.gateway, self.ctx, name=self.llm.model or "chat", timeout_s=self.llm.timeout_s
        )

    def ask_model(
        self,
        *,
        system: str,
        user: str,
        output: type[T],
        sources: Sequence[str] = (),
        known: set[str] | None = None,
        max_rounds: int | None = None,
    ) -> LoopResult[T]:
        """Run the shared LLM tool loop for this agent (needs ``chat``).

        Args:
            system: the agent's instructions.
            user: the compact evidence and question.
            output: the answer model (claims must cite ``known`` ids or ids of tool results).
            sources: tool name prefixes the model may be offered (then filtered by the policy).
            known: evidence ids the run already holds.
            max_rounds: tool rounds; the settings' ``max_tool_rounds`` when None.
        """
        chat = self.guarded_chat()
        if chat is None:
            raise ValueError("ask_model needs a chat model (deps.chat)")
        return run_tool_loop(
            chat,
            system=system,
            user=user,
            output=output,
            tools=offered_tools(self.gateway, self.ctx, sources) if sources else [],
            known=known,
            max_rounds=self.llm.max_tool_rounds if max_rounds is None else max_rounds,
            now=self.clock(),
        )

    @property
    def mode(self) -> str:
        return "llm" if self.chat is not None else "deterministic"


def collect(
    deps: AgentDeps,
    ledger: EvidenceLedger,
    tool: str,
    args: dict[str, Any],
    *,
    summary: str,
    query: str | None = None,
    value: Any = None,
) -> Evidence | None:
    """Call ``tool`` through the gateway and record the result as evidence; a failure marks the source.

    Returns the evidence, or None when the source failed (the ledger then says which source and why).
    """
    source = tool.split(".", 1)[0]
    try:
        result = deps.call(tool, **args)
    except ToolFailed as exc:
        ledger.failed(exc.source, f"{exc.failure}: {exc.message}")
        return None
    except GatewayError as exc:
        ledger.failed(source, f"{exc.kind}: {exc.message}")
        return None
    return ledger.add(
        Evidence(
            id=result.evidence_id,
            source=source,
            tool=tool,
            query=query or str(args),
            summary=summary,
            value=value,
            at=deps.clock(),
            data=result.data,
        )
    )
