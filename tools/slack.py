"""Slack's Web API as a tool: post a message (optionally in a thread) and update it.

The client is an injected ``slack_sdk.WebClient`` whose ``base_url`` decides where messages go
(``REFERENT_SLACK_API_URL``: Slack's API, or a local recorder in tests and the demo). The specs are
tagged ``egress``: what they send leaves the platform for people, so the gateway hands them the
*redacted* arguments (a CPF in a message never reaches Slack) and audits the call like any other.

Errors (all :mod:`tools.errors`, source ``slack``)::

    SourceAuthError     invalid_auth, not_authed, token_revoked, account_inactive, missing_scope, ...
    NotFound            channel_not_found, message_not_found, not_in_channel, thread_not_found
    BadInput            invalid_blocks, msg_too_long, no_text, invalid_arguments, no channel configured
    SourceUnavailable   connection refused, ratelimited, fatal_error, any other Slack error
    SourceTimeout       no answer within the client's timeout
"""

from __future__ import annotations

import socket
import urllib.error
from functools import partial
from typing import Any

from pydantic import BaseModel, Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tools.base import ActionClass, ToolSpec
from tools.errors import BadInput, NotFound, SourceAuthError, SourceTimeout, SourceUnavailable, ToolError

SOURCE = "slack"
EGRESS = "egress"  # tag: the gateway passes redacted arguments to the tool (data leaves the platform)

_AUTH = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
}
_NOT_FOUND = {"channel_not_found", "message_not_found", "not_in_channel", "thread_not_found", "is_archived"}
_BAD_INPUT = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "invalid_arguments",
    "too_many_attachments",
    "cant_update_message",
    "edit_window_closed",
}


class PostMessageInput(BaseModel):
    channel: str | None = Field(
        default=None, description="channel id (C…); default: the configured REFERENT_SLACK_CHANNEL"
    )
    text: str = Field(min_length=1, max_length=40000, description="plain-text message (also the fallback)")
    blocks: list[dict[str, Any]] | None = Field(default=None, description="Block Kit blocks")
    thread_ts: str | None = Field(default=None, description="ts of the parent message to reply in its thread")


class UpdateMessageInput(BaseModel):
    channel: str = Field(min_length=1, description="channel id of the message")
    ts: str = Field(min_length=1, description="ts of the message to replace")
    text: str = Field(min_length=1, max_length=40000)
    blocks: list[dict[str, Any]] | None = None


class SlackMessage(BaseModel):
    """Where a message is: its channel and timestamp (the thread key for replies)."""

    channel: str
    ts: str


def _error(exc: Exception) -> ToolError:
    """Map a slack_sdk / transport failure to a typed tool error."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or "unknown_error")
        if code in _AUTH:
            return SourceAuthError(SOURCE, code)
        if code in _NOT_FOUND:
            return NotFound(SOURCE, code)
        if code in _BAD_INPUT:
            return BadInput(SOURCE, code)
        return SourceUnavailable(SOURCE, code)
    if isinstance(exc, TimeoutError | socket.timeout):
        return SourceTimeout(SOURCE, "no answer from Slack's Web API")
    if isinstance(exc, urllib.error.URLError):
        return SourceUnavailable(SOURCE, f"cannot reach Slack's Web API ({exc.reason})")
    return SourceUnavailable(SOURCE, f"{type(exc).__name__}: {exc}")


class SlackTool:
    """Posts and updates messages with an injected ``WebClient``.

    Args:
        client: a ``slack_sdk.WebClient`` (token and ``base_url`` set by the caller).
        default_channel: channel used when a post names none.
    """

    def __init__(self, client: WebClient, default_channel: str | None = None) -> None:
        self.client = client
        self.default_channel = default_channel

    @classmethod
    def connect(
        cls, token: str, base_url: str, default_channel: str | None = None, timeout_s: float = 15.0
    ) -> SlackTool:
        """A tool over a new ``WebClient`` (no request is made here)."""
        url = base_url if base_url.endswith("/") else base_url + "/"
        return cls(WebClient(token=token, base_url=url, timeout=int(max(1, timeout_s))), default_channel)

    def _send(self, method: str, **kwargs: Any) -> SlackMessage:
        try:
            response = self.client.api_call(method, json={k: v for k, v in kwargs.items() if v is not None})
        except Exception as exc:  # every failure leaves typed
            raise _error(exc) from None
        return SlackMessage(
            channel=str(response.get("channel") or kwargs.get("channel")), ts=str(response.get("ts"))
        )

    def post_message(
        self,
        text: str,
        *,
        channel: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> SlackMessage:
        """``chat.postMessage``; returns the message's channel and ts."""
        target = channel or self.default_channel
        if not target:
            raise BadInput(SOURCE, "no channel given and REFERENT_SLACK_CHANNEL is not set")
        return self._send("chat.postMessage", channel=target, text=text, blocks=blocks, thread_ts=thread_ts)

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> SlackMessage:
        """``chat.update`` of the message ``ts`` in ``channel``; returns its channel and ts."""
        return self._send("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)


def _post(tool: SlackTool, a: PostMessageInput) -> SlackMessage:
    return tool.post_message(a.text, channel=a.channel, blocks=a.blocks, thread_ts=a.thread_ts)


def _update(tool: SlackTool, a: UpdateMessageInput) -> SlackMessage:
    return tool.update_message(a.channel, a.ts, a.text, a.blocks)


def specs(tool: SlackTool, timeout_s: float = 15.0) -> list[ToolSpec]:
    """``slack.post_message`` and ``slack.update_message`` bound to ``tool`` (not touched here)."""
    return [
        ToolSpec(
            name="slack.post_message",
            description="Post a message (text and optional Block Kit blocks) to a Slack channel, "
            "optionally as a reply in the thread of `thread_ts`. Returns the channel and the "
            "message ts (the key to update it or reply in its thread).",
            input_model=PostMessageInput,
            action=ActionClass.WRITE,
            func=partial(_post, tool),
            source=SOURCE,
            timeout_s=timeout_s,
            tags=(SOURCE, EGRESS),
        ),
        ToolSpec(
            name="slack.update_message",
            description="Replace the text and blocks of an earlier Slack message (channel + ts). "
            "Returns the channel and ts.",
            input_model=UpdateMessageInput,
            action=ActionClass.WRITE,
            func=partial(_update, tool),
            source=SOURCE,
            timeout_s=timeout_s,
            tags=(SOURCE, EGRESS),
        ),
    ]
