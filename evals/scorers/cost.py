"""Tokens, money and wall time of a run, from its audit rows."""

from __future__ import annotations

from typing import Any


def usage(calls: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
    llm = [c for c in calls if c.get("kind") == "llm"]
    return {
        "tool_calls": sum(1 for c in calls if c.get("kind") == "tool"),
        "llm_calls": len(llm),
        "tokens": sum(int(c.get("tokens") or 0) for c in llm),
        "cost_usd": round(sum(float(c.get("cost_usd") or 0.0) for c in llm), 6),
        "wall_s": round(wall_s, 3),
    }
