"""The declarative policy: who may call which tool, where, how — and with what budget.

A policy file (YAML, validated here) lists rules. A rule matches a call when its principals, tools,
environments and action classes all match (glob patterns) and every argument constraint holds.
Among the matching rules, ``deny`` beats ``needs_approval`` beats ``allow``; when none matches the
answer is ``deny`` (default deny). The inputs are the caller's identity, the tool's registered action
class, the environment derived from the arguments and the arguments themselves — never anything the
model says about itself, so an injected instruction can make a model *ask* for a write, never *get* one.

Principals are strings: ``agent:triage``, ``slack:U024BE7LH``, ``token:ci-evals``, ``user:ana``.
A rule may name a group (``group:ml-approvers``); groups are defined in the same file. A group name or
a glob is never a principal (:func:`guardrails.identity.check_principal`): such a caller is denied,
cannot approve and cannot reveal.

The file also holds the two maps the rest of the code reads from one place: ``cli_users`` (OS account
→ principal, how the CLI authenticates a human) and ``environments.aliases`` (model alias →
environment). An alias the map does not know is ``production``, the strictest environment. Its
``routes`` section (Alertmanager-style label matchers → Slack channel, :mod:`guardrails.routing`) says
where alert reports go; ``REFERENT_ROUTES`` rules are read before it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from guardrails.identity import check_principal, is_principal
from guardrails.routing import Route

DEFAULT_POLICY = Path(__file__).parent / "default_policy.yaml"
ENVIRONMENTS = ("dev", "staging", "production")
Environment = Literal["dev", "staging", "production"]
STRICTEST_ENVIRONMENT: Environment = "production"


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NEEDS_APPROVAL = "needs_approval"


_RANK = {Decision.ALLOW: 0, Decision.NEEDS_APPROVAL: 1, Decision.DENY: 2}


class Budget(BaseModel):
    """Per-run limits; ``None`` means unlimited."""

    model_config = ConfigDict(extra="forbid")
    tool_calls: int | None = Field(default=None, ge=0)
    llm_tokens: int | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    principals: list[str]
    tools: list[str]
    decision: Decision
    actions: list[str] = Field(default_factory=lambda: ["read", "write", "destructive"])
    environments: list[str] = Field(default_factory=lambda: ["*"])
    constraints: dict[str, list[str]] = Field(
        default_factory=dict, description="argument name -> allowed glob patterns"
    )
    approvers: list[str] = Field(default_factory=list, description="who may approve (needs_approval)")
    reason: str = ""


def _default_aliases() -> dict[str, Environment]:
    return {"champion": "production", "production": "production", "prod": "production", "staging": "staging"}


class Environments(BaseModel):
    """Where a model alias points: ``aliases`` maps alias → environment; any other alias is production."""

    model_config = ConfigDict(extra="forbid")
    aliases: dict[str, Environment] = Field(default_factory=_default_aliases)

    @field_validator("aliases")
    @classmethod
    def _lower(cls, aliases: dict[str, Environment]) -> dict[str, Environment]:
        return {k.lower(): v for k, v in aliases.items()}


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    groups: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[Rule]
    budgets: dict[str, Budget] = Field(default_factory=dict, description="principal pattern -> budget")
    vault_reveal: list[str] = Field(default_factory=list, description="principals allowed to reveal")
    cli_users: dict[str, str] = Field(default_factory=dict, description="OS account -> principal (CLI)")
    environments: Environments = Field(default_factory=Environments)
    routes: list[Route] = Field(
        default_factory=list,
        description="Slack routing rules (label matchers → channel), after REFERENT_ROUTES",
    )

    @field_validator("cli_users")
    @classmethod
    def _cli_users_are_principals(cls, users: dict[str, str]) -> dict[str, str]:
        for principal in users.values():
            check_principal(principal)
            if principal.startswith("agent:"):
                raise ValueError(f"cli_users maps to {principal!r}: an agent is not a human")
        return users

    @field_validator("rules")
    @classmethod
    def _approval_rules_name_approvers(cls, rules: list[Rule]) -> list[Rule]:
        for rule in rules:
            if rule.decision is Decision.NEEDS_APPROVAL and not rule.approvers:
                raise ValueError(f"rule {rule.name!r}: needs_approval requires approvers")
        return rules


@dataclass(frozen=True)
class PolicyDecision:
    decision: Decision
    rule: str | None
    reason: str
    approvers: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


class Policy:
    """Evaluates calls against a validated :class:`PolicyFile`."""

    def __init__(self, spec: PolicyFile) -> None:
        self.spec = spec

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        """Load and validate a policy file (the shipped default when ``path`` is None)."""
        source = path or DEFAULT_POLICY
        try:
            data = yaml.safe_load(Path(source).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read policy {source}: {exc}") from exc
        return cls(PolicyFile.model_validate(data))

    def identities(self, principal: str) -> set[str]:
        """The principal itself plus every ``group:NAME`` it belongs to."""
        ids = {principal}
        for group, members in self.spec.groups.items():
            if any(fnmatch.fnmatchcase(principal, m) for m in members):
                ids.add(f"group:{group}")
        return ids

    def _matches(self, patterns: list[str], values: set[str]) -> bool:
        return any(fnmatch.fnmatchcase(v, p) for p in patterns for v in values)

    def _constraints_hold(self, rule: Rule, args: dict[str, Any]) -> str | None:
        for key, allowed in rule.constraints.items():
            value = args.get(key)
            if value is None:
                return f"argument {key!r} is required by rule {rule.name!r}"
            if not any(fnmatch.fnmatchcase(str(value), p) for p in allowed):
                return f"{key}={value!r} is outside rule {rule.name!r} ({', '.join(allowed)})"
        return None

    def environment_of_alias(self, alias: str) -> Environment:
        """The environment a model alias points at; an alias the policy does not know is production."""
        return self.spec.environments.aliases.get(alias.lower(), STRICTEST_ENVIRONMENT)

    def decide(
        self, principal: str, tool: str, action: str, environment: str, args: dict[str, Any]
    ) -> PolicyDecision:
        """Decide one call. Deny beats needs_approval beats allow; no match is deny; so is a non-principal."""
        if not is_principal(principal):
            return PolicyDecision(Decision.DENY, None, f"{principal!r} is not a principal (group or glob)")
        ids = self.identities(principal)
        best: PolicyDecision | None = None
        misses: list[str] = []
        for rule in self.spec.rules:
            if not (
                self._matches(rule.principals, ids)
                and self._matches(rule.tools, {tool})
                and action in rule.actions
                and self._matches(rule.environments, {environment})
            ):
                continue
            miss = self._constraints_hold(rule, args)
            if miss:
                misses.append(miss)
                continue
            cand = PolicyDecision(
                rule.decision, rule.name, rule.reason or f"rule {rule.name}", tuple(rule.approvers)
            )
            if best is None or _RANK[cand.decision] > _RANK[best.decision]:
                best = cand
        if best is not None:
            return best
        why = misses[0] if misses else f"no rule allows {principal} to {action} {tool} in {environment}"
        return PolicyDecision(Decision.DENY, None, f"default deny: {why}")

    def can_approve(self, approver: str, approvers: tuple[str, ...] | list[str]) -> bool:
        """Whether ``approver`` (a principal, never a group or glob) matches one of ``approvers``."""
        return is_principal(approver) and self._matches(list(approvers), self.identities(approver))

    def can_reveal(self, principal: str) -> bool:
        """Whether ``principal`` (never a group or glob) may reveal pseudonyms."""
        return is_principal(principal) and self._matches(self.spec.vault_reveal, self.identities(principal))

    def budget_for(self, principal: str) -> Budget:
        """The first budget whose pattern matches the principal (file order), else unlimited."""
        ids = self.identities(principal)
        for pattern, budget in self.spec.budgets.items():
            if self._matches([pattern], ids):
                return budget
        return Budget()
