"""Errors the gateway raises to an agent (or to the API, which maps them to HTTP / Slack answers).

::

    GatewayError                  (tool, message)
    ├── PolicyDenied              the policy said deny (rule, reason); the agent gets the reason back
    ├── ApprovalRequired          needs_approval: a pending approval exists (approval_id)
    ├── ApprovalInvalid           unknown, expired, denied, or bound to other arguments
    ├── BudgetExceeded            a per-run budget (tool calls, tokens, money) is used up
    ├── UnknownTool               no tool of that name is registered
    ├── InvalidArguments          the arguments do not match the tool's input schema
    └── ToolFailed                the call itself failed (kind: unavailable / timeout / auth /
                                  not_found / bad_input / error), with the source it names
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every gateway refusal or failure."""

    kind = "error"

    def __init__(self, tool: str, message: str) -> None:
        super().__init__(f"{tool}: {message}")
        self.tool = tool
        self.message = message


class PolicyDenied(GatewayError):
    kind = "denied"

    def __init__(self, tool: str, message: str, rule: str | None = None) -> None:
        super().__init__(tool, message)
        self.rule = rule


class ApprovalRequired(GatewayError):
    kind = "approval_required"

    def __init__(self, tool: str, message: str, approval_id: str) -> None:
        super().__init__(tool, message)
        self.approval_id = approval_id


class ApprovalInvalid(GatewayError):
    kind = "approval_invalid"


class BudgetExceeded(GatewayError):
    kind = "budget_exceeded"

    def __init__(self, tool: str, message: str, budget: str) -> None:
        super().__init__(tool, message)
        self.budget = budget


class UnknownTool(GatewayError):
    kind = "unknown_tool"


class InvalidArguments(GatewayError):
    kind = "bad_input"


class ToolFailed(GatewayError):
    """The tool ran and failed; ``failure`` is the tool error's kind, ``source`` its system."""

    kind = "tool_failed"

    def __init__(self, tool: str, message: str, failure: str, source: str) -> None:
        super().__init__(tool, message)
        self.failure = failure
        self.source = source
