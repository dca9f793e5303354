"""How the LLM layer writes for a model: tool names and compact schemas, token counts, costs, reasons.

Pure helpers of :mod:`agents.llm`; litellm is imported lazily (its cost map from the package, offline).
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from agents.settings import offline_litellm


def tool_name(spec_name: str) -> str:
    """Provider-safe function name for a dotted tool name (``prometheus.query`` → ``prometheus__query``)."""
    return spec_name.replace(".", "__")


def compact_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with ``$ref`` inlined, titles and class docstrings dropped, ``X | None``
    written as ``X`` (field descriptions stay: they tell the model what a field holds)."""
    full = model.model_json_schema()
    defs = full.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        options = [o for o in node.get("anyOf", []) if o != {"type": "null"}]
        if len(options) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return walk({**options[0], **rest})
        out = {k: walk(v) for k, v in node.items() if k not in {"title", "properties"}}
        if "properties" in node:  # field names are kept as they are (a field may be called "title")
            out["properties"] = {name: walk(field) for name, field in node["properties"].items()}
            out.pop("description", None)  # a class docstring is for developers, not worth prompt tokens
        if out.get("default", 0) is None:
            del out["default"]
        return out

    out: dict[str, Any] = walk(full)
    return out


def tool_schema(name: str, description: str, model: type[BaseModel]) -> dict[str, Any]:
    params = compact_schema(model)
    params.pop("description", None)
    return {"type": "function", "function": {"name": name, "description": description, "parameters": params}}


def count_tokens(model: str | None, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """Prompt tokens as litellm counts them (its bundled tokenizers), else characters / 4."""
    try:
        offline_litellm()
        import litellm

        return int(litellm.token_counter(model=model or "gpt-4o", messages=messages, tools=tools or None))  # type: ignore[arg-type]
    except Exception:  # an unknown model or message shape: a rough figure is still a figure
        return len(json.dumps([messages, tools], default=str)) // 4


def cost_of(chat: BaseChatModel, message: AIMessage) -> float:
    model = getattr(chat, "model", None)
    usage: Any = message.usage_metadata or {}
    if not isinstance(model, str) or not usage:
        return 0.0
    try:
        offline_litellm()
        import litellm

        prompt, completion = litellm.cost_per_token(
            model=model,
            prompt_tokens=usage.get("input_tokens", 0),
            completion_tokens=usage.get("output_tokens", 0),
        )
        return float(prompt + completion)
    except Exception:  # unknown model in the local cost map: tokens are still counted
        return 0.0


def failure_reason(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return f"timeout after {timeout_s:.0f} s"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else 'no message'}"


def json_object_in(text: str) -> Any:
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        raise ValueError("no JSON object in the reply")
    return json.loads(match.group(0))
