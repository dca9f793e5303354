"""Test doubles for the one boundary that cannot exist here: the LLM.

``ScriptedChatModel`` answers with a scripted list of messages (or functions of the conversation), and
records every prompt it received — tests assert on what reached "the model" (no PII, tool results).
A script step that raises (``TimeoutError``) plays a model that fails. Scripted models are the only
chat models :mod:`agents.llm` lets through while ``ALLOW_MODEL_REQUESTS`` is False.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

Script = AIMessage | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(BaseChatModel):
    """Replies from ``script`` in order; the last entry repeats when the script runs out."""

    script: list[Any] = Field(default_factory=list)
    received: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[Any] = Field(default_factory=list)
    tool_choices: list[Any] = Field(default_factory=list, description="tool_choice of each bind_tools")
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list, description="extra request arguments")
    tokens_per_call: int = 100

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(  # type: ignore[override]
        self, tools: Sequence[Any], *, tool_choice: Any = None, **_: Any
    ) -> ScriptedChatModel:
        self.bound_tools = list(tools)
        self.tool_choices.append(tool_choice)
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.received.append(list(messages))
        self.call_kwargs.append(dict(kwargs))
        if not self.script:
            raise RuntimeError("ScriptedChatModel has no script")
        step = self.script[min(len(self.received) - 1, len(self.script) - 1)]
        reply = step(list(messages)) if callable(step) else step
        reply = reply.model_copy(
            update={
                "usage_metadata": {
                    "input_tokens": self.tokens_per_call,
                    "output_tokens": self.tokens_per_call // 4,
                    "total_tokens": self.tokens_per_call + self.tokens_per_call // 4,
                }
            }
        )
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def prompts_text(self) -> str:
        """Everything the model was shown, as one string."""
        return "\n".join(str(m.content) for conv in self.received for m in conv)


def tool_call(name: str, args: dict[str, Any], call_id: str = "call_1") -> AIMessage:
    """An AIMessage asking for one tool call (dotted names are converted as the LLM layer does)."""
    return AIMessage(content="", tool_calls=[{"name": name.replace(".", "__"), "args": args, "id": call_id}])
