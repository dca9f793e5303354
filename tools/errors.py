"""Errors raised by platform tools.

Every failure a tool can have is one of these, and each names its source::

    ToolError                 (source, message)
    ├── SourceUnavailable     connection refused, DNS, 5xx after retries
    ├── SourceTimeout         no answer within the deadline
    ├── SourceAuthError       401 / 403
    ├── NotFound              the named object does not exist
    └── BadInput              the request was malformed (bad PromQL, unknown alias, ...)
"""

from __future__ import annotations


class ToolError(Exception):
    """Base of every tool failure; ``source`` names the system (prometheus, mlflow, feast, billing)."""

    kind = "error"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SourceUnavailable(ToolError):
    kind = "unavailable"


class SourceTimeout(ToolError):
    kind = "timeout"


class SourceAuthError(ToolError):
    kind = "auth"


class NotFound(ToolError):
    kind = "not_found"


class BadInput(ToolError):
    kind = "bad_input"
