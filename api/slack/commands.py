"""The ``/referent`` commands as gateway tools, so the policy decides who may run which.

Each command is a tool named ``referent.<command>`` (source ``referent``) with an input model and an
action class: asking for a triage, a runbook, a rightsizing, the FinOps report or the list of
approvals is a *read*; asking for a promotion or a rollback is a *write* (and the production move it
leads to still waits for an approver). A Slack user's command is a gateway call with principal
``slack:<user id>``: the policy allows or denies it, and the audit records it either way.

A tool's call is cheap and answers at once: quick commands (``help``, ``approvals``) return their answer;
the others return the accepted request, and the long work runs afterwards as a DBOS workflow under
the agent's principal, with the Slack user as the run's ``requested_by``.

Errors::

    UsageError (ValueError)     the text is not a known command with the arguments it needs
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec

SOURCE = "referent"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,199}$"


class UsageError(ValueError):
    """The command text does not parse; the message says how to write it."""


class TriageArgs(BaseModel):
    target: str = Field(pattern=_NAME, description="alert name, alert fingerprint or incident id")


class RunbookArgs(BaseModel):
    alert: str = Field(pattern=_NAME, description="alert name")


class RightsizeArgs(BaseModel):
    scope: str | None = Field(default=None, pattern=_NAME, description="namespace or team")


class NoArgs(BaseModel):
    pass


class PromoteArgs(BaseModel):
    model: str = Field(pattern=_NAME)
    version: str = Field(pattern=r"^[0-9]{1,9}$")
    environment: Literal["staging", "production"]


class RollbackArgs(BaseModel):
    model: str = Field(pattern=_NAME)
    environment: Literal["production"] = "production"


@dataclass(frozen=True)
class Command:
    """One ``/referent`` command: its usage line, what it does, its action class and arguments."""

    name: str
    usage: str
    summary: str
    action: ActionClass
    args: type[BaseModel]
    positional: tuple[str, ...] = ()
    background: bool = True  # the work runs as a workflow after the gateway accepted the request


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            "triage",
            "triage <alertname|fingerprint|incident id>",
            "triage an alert on the platform and post the report",
            ActionClass.READ,
            TriageArgs,
            ("target",),
        ),
        Command(
            "runbook",
            "runbook <alertname>",
            "the runbook of an alert (its URL and sections)",
            ActionClass.READ,
            RunbookArgs,
            ("alert",),
        ),
        Command(
            "rightsize",
            "rightsize [namespace|team]",
            "CPU/memory/GPU recommendations with monthly savings",
            ActionClass.READ,
            RightsizeArgs,
            ("scope",),
        ),
        Command("finops", "finops", "the FinOps report (costs, movers, savings)", ActionClass.READ, NoArgs),
        Command(
            "promote",
            "promote <model> <version> <staging|production>",
            "check a model version's promotion gates and move its alias (production waits for approval)",
            ActionClass.WRITE,
            PromoteArgs,
            ("model", "version", "environment"),
        ),
        Command(
            "rollback",
            "rollback <model>",
            "point the production alias back at its previous version (waits for approval)",
            ActionClass.WRITE,
            RollbackArgs,
            ("model",),
        ),
        Command(
            "approvals",
            "approvals",
            "pending approvals, with Approve / Deny buttons",
            ActionClass.READ,
            NoArgs,
            background=False,
        ),
        Command("help", "help", "this list", ActionClass.READ, NoArgs, background=False),
    )
}

_ENV_ALIASES = {"prod": "production", "production": "production", "staging": "staging", "stage": "staging"}


def help_text() -> str:
    """The help message: every command with its usage."""
    lines = ["*Referent* — `/referent <command>`:"]
    lines += [f"• `/referent {c.usage}` — {c.summary}" for c in COMMANDS.values()]
    return "\n".join(lines)


def parse(text: str) -> tuple[Command, dict[str, Any]]:
    """The command and its raw arguments from a slash command's text (``help`` when empty).

    Raises:
        UsageError: unknown command, missing or extra arguments.
    """
    try:
        words = shlex.split(text or "")
    except ValueError as exc:
        raise UsageError(f"cannot read the command ({exc})") from None
    if not words:
        return COMMANDS["help"], {}
    name, rest = words[0].lower(), words[1:]
    command = COMMANDS.get(name)
    if command is None:
        raise UsageError(f"unknown command `{name}`")
    required = len([n for n in command.positional if command.args.model_fields[n].is_required()])
    if not required <= len(rest) <= len(command.positional):
        raise UsageError(f"usage: `/referent {command.usage}`")
    args: dict[str, Any] = dict(zip(command.positional, rest, strict=False))
    if command.name == "promote":
        args["environment"] = _ENV_ALIASES.get(str(args["environment"]).lower(), args["environment"])
        args["version"] = str(args["version"]).lstrip("vV")
    return command, args


def _accepted(name: str, args: BaseModel) -> dict[str, Any]:
    return {"accepted": name, **args.model_dump(mode="json")}


def _help(_: BaseModel) -> dict[str, Any]:
    return {"text": help_text()}


def specs(pending_approvals: Callable[[], list[Any]]) -> list[ToolSpec]:
    """The ``referent.*`` command tools; ``pending_approvals`` lists the approvals waiting for a human."""

    def approvals(_: BaseModel) -> list[dict[str, Any]]:
        return [
            {
                "id": a.id,
                "tool": a.tool,
                "environment": a.environment,
                "arguments": a.arguments,
                "reason": a.reason,
                "requester": a.requester,
                "requested_by": getattr(a, "requested_by", "") or "",
                "expires_at": a.expires_at.isoformat(),
            }
            for a in pending_approvals()
        ]

    quick: dict[str, Callable[[Any], Any]] = {"approvals": approvals, "help": _help}
    return [
        ToolSpec(
            name=f"referent.{c.name}",
            description=f"Slack command `/referent {c.usage}`: {c.summary}. "
            + ("Returns the answer." if not c.background else "Returns the accepted request."),
            input_model=c.args,
            action=c.action,
            func=quick.get(c.name) or partial(_accepted, c.name),
            source=SOURCE,
            timeout_s=10.0,
            tags=("slack", "command"),
        )
        for c in COMMANDS.values()
    ]


def mention(principal: str) -> str:
    """``<@U…>`` for a ``slack:U…`` principal, the principal itself otherwise."""
    match = re.fullmatch(r"slack:([A-Z0-9]+)", principal or "")
    return f"<@{match.group(1)}>" if match else f"`{principal}`"
