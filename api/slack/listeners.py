"""What the Slack app does with a verified request: ``/referent`` commands and Approve / Deny clicks.

The same listeners serve both modes. Over HTTP, bolt has checked the v0 signature and its 5-minute
window before a listener runs, and the listener takes the user from the signed body
(:func:`guardrails.identity.slack_identity`, ``slack:<user id>``); over Socket Mode the envelope came
through the connection Slack opened for the app-level token (:func:`guardrails.identity.slack_socket_identity`).
Then:

- a command is a gateway call of ``referent.<command>`` with that principal (the policy decides and the
  audit records it); what the work receives is the gateway's (redacted) copy of the arguments, so a
  CPF typed in a command never reaches an incident or a message; the answer comes back in the
  acknowledgement (within 3 s), and long work is
  enqueued as a DBOS workflow whose id derives from the request's signature, so a duplicate delivery
  of the same signed request never runs twice;
- a click decides the approval with ``Gateway.decide_approval(identity)`` (only approvers the policy
  names, never the requester or the human who started the run; audited) and, for a promotion run that
  waits in its checkpoint, enqueues its resumption.

Refusals are answered politely (ephemeral) and audited by the gateway.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond

from agents.promotion.render import APPROVE_ACTION, DENY_ACTION
from api.slack import commands as cmds
from guardrails.errors import ApprovalRequired, GatewayError, InvalidArguments, PolicyDenied
from guardrails.gateway import CallContext
from guardrails.identity import IdentityError, slack_identity, slack_socket_identity

log = logging.getLogger("referent.slack")


def _header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or [""]
    return str(values[0])


def identity_of(services: Any, request: BoltRequest) -> Any:
    """The authenticated ``slack:<user id>`` of a request: over HTTP its signature is checked again (user
    from the signed body); over Socket Mode the connection opened with the app token vouches for it."""
    if request.mode == "socket_mode":
        return slack_socket_identity(request.body)
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise IdentityError("Slack signing secret is not set")
    return slack_identity(
        signing_secret=secret,
        timestamp=_header(request, "x-slack-request-timestamp"),
        signature=_header(request, "x-slack-signature"),
        body=request.raw_body.encode(),
    )


def request_key(request: BoltRequest) -> str:
    """A key of the request: the same delivery twice gives the same key (over HTTP its signature, over
    Socket Mode its payload, whose ``trigger_id`` differs between two invocations)."""
    if request.mode == "socket_mode":
        signed = json.dumps(request.body, sort_keys=True, default=str)
    else:
        signed = _header(request, "x-slack-request-timestamp") + _header(request, "x-slack-signature")
    return hashlib.sha256(signed.encode()).hexdigest()[:32]


def _denied(command: str, exc: GatewayError) -> str:
    if isinstance(exc, PolicyDenied):
        return (
            f"Sorry, you are not allowed to run `/referent {command}` (the policy said: {exc.message}). "
            "Ask an ML approver or the on-call engineer if you need it."
        )
    if isinstance(exc, InvalidArguments):
        return (
            f"Sorry, I could not read that: {exc.message}\nUsage: `/referent {cmds.COMMANDS[command].usage}`"
        )
    if isinstance(exc, ApprovalRequired):
        return f"`/referent {command}` needs an approval first ({exc.message})."
    return f"Sorry, `/referent {command}` failed: {exc.message}"


def _button(action_id: str, style: str, label: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "style": style,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }


def _approvals_blocks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for row in rows[:20]:
        who = f" requested by {cmds.mention(row['requested_by'])}" if row.get("requested_by") else ""
        text = f"*{row['tool']}* in *{row['environment']}*{who}\n`{row['arguments'][:500]}`\n{row['reason']}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
        blocks.append(
            {
                "type": "actions",
                "block_id": f"approval:{row['id']}",
                "elements": [
                    _button(APPROVE_ACTION, "primary", "Approve", row["id"]),
                    _button(DENY_ACTION, "danger", "Deny", row["id"]),
                ],
            }
        )
    return blocks


def _triage_now(services: Any, target: str) -> str:
    """Start (or find) the triage of ``target`` at once; the triage workflow posts the report."""
    from api.slack.triage import start_triage

    return start_triage(services, target)


def handle_command(services: Any, body: dict[str, Any], request: BoltRequest) -> dict[str, Any]:
    """The acknowledgement of one ``/referent`` command (text and blocks, ephemeral)."""
    try:
        command, args = cmds.parse(str(body.get("text") or ""))
    except cmds.UsageError as exc:
        return {"text": f"{exc}\n\n{cmds.help_text()}"}
    try:
        principal = identity_of(services, request).principal
    except IdentityError as exc:  # bolt verified the signature; this is a body without a user
        return {"text": f"Sorry, I could not tell who you are ({exc})."}
    key = request_key(request)
    ctx = CallContext(principal, f"slack-{command.name}-{key[:12]}")
    try:
        result = services.runtime.gateway.call(ctx, f"referent.{command.name}", args)
    except GatewayError as exc:
        return {"text": _denied(command.name, exc)}
    if command.name == "help":
        return {"text": result.data["text"]}
    if command.name == "approvals":
        rows = list(result.data)
        if not rows:
            return {"text": "No approvals are waiting."}
        return {"text": f"{len(rows)} approval(s) waiting", "blocks": _approvals_blocks(rows)}
    accepted = {k: v for k, v in dict(result.data).items() if k != "accepted"}  # redacted by the gateway
    if command.name == "triage":
        return {"text": _triage_now(services, str(accepted["target"]))}
    return {"text": _enqueue(command.name, accepted, principal, body, key)}


def _enqueue(command: str, args: dict[str, Any], principal: str, body: dict[str, Any], key: str) -> str:
    from api.workers import dbos_app, slack_jobs

    if not dbos_app.launched():
        return "Sorry, Referent's workers are not running; try again in a minute."
    job = {
        "command": command,
        "args": args,
        "user": principal,
        "channel": str(body.get("channel_id") or ""),
        "run_id": f"slack-{command}-{key[:12]}",
        "thread_ts": None,
        "message_ts": None,
    }
    slack_jobs.enqueue(job, f"slack-{key}")
    asked = " ".join([command, *(str(v) for v in args.values() if v)])
    return f"On it: `/referent {asked}`. I will post the answer here."


def handle_decision(services: Any, body: dict[str, Any], request: BoltRequest, approve: bool) -> str:
    """Decide the approval of a clicked button; the text that replaces the buttons (or says why not)."""
    from guardrails.approvals import ApprovalError

    action = (body.get("actions") or [{}])[0]
    approval_id = str(action.get("value") or "")
    try:
        identity = identity_of(services, request)
        decided = services.runtime.gateway.decide_approval(approval_id, identity, approve=approve)
    except (IdentityError, ApprovalError) as exc:
        return f"Sorry, that decision was not taken: {exc}"
    verb = "approved" if approve else "denied"
    text = f"{cmds.mention(identity.principal)} {verb} `{decided.tool}` ({decided.environment})."
    channel = str((body.get("channel") or {}).get("id") or "")
    container = body.get("container") or {}
    message_ts = None if container.get("is_ephemeral") else container.get("message_ts")  # no edit, no thread
    from api.workers import dbos_app, slack_jobs

    if dbos_app.launched() and slack_jobs.enqueue_resume(decided, channel, message_ts):
        text += " Resuming the run; the result follows in this thread."
    return text


def register(app: App, services: Any) -> None:
    """Attach the ``/referent`` command and the Approve / Deny actions to ``app``."""

    @app.command("/referent")
    def on_command(ack: Ack, body: dict[str, Any], request: BoltRequest) -> None:
        reply = handle_command(services, body, request)
        ack(response_type="ephemeral", **reply)

    def on_decision(approve: bool) -> Any:
        def listener(ack: Ack, body: dict[str, Any], request: BoltRequest, respond: Respond) -> None:
            ack()
            text = handle_decision(services, body, request, approve)
            refused = text.startswith("Sorry")
            respond(text=text, replace_original=not refused, response_type="ephemeral" if refused else None)

        return listener

    app.action(APPROVE_ACTION)(on_decision(True))
    app.action(DENY_ACTION)(on_decision(False))
