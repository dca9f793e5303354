"""The gateway: the one door from an agent to a tool or the LLM.

``Gateway.call`` runs, in order: argument validation → **policy** (default deny) → **approval**
(``needs_approval`` creates a pending approval and raises :class:`ApprovalRequired`; the retry with
an approved id goes through) → budget → **call** with a deadline → **redaction** of the result →
**audit** (hash-chained; every outcome, including denials and failures, is recorded with redacted
arguments). ``Gateway.llm`` does the same for a model call: the prompt is redacted *before* it leaves,
and tokens and money are charged to the run's budget and audited.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from guardrails.approvals import ApprovalError, ApprovalStore
from guardrails.audit import AuditEntry, AuditLog
from guardrails.budgets import RunBudget
from guardrails.calls import CallContext, LLMReply, Redacting, ToolResult, environment_of
from guardrails.canonical import canonical_json, digest
from guardrails.errors import (
    ApprovalInvalid,
    ApprovalRequired,
    GatewayError,
    InvalidArguments,
    PolicyDenied,
    ToolFailed,
    UnknownTool,
)
from guardrails.policy import Decision, Policy, PolicyDecision
from tools.base import ActionClass, ToolSpec, to_jsonable
from tools.errors import ToolError

log = logging.getLogger("referent.gateway")

__all__ = ["CallContext", "Gateway", "LLMReply", "ToolResult", "environment_of"]


@dataclass
class _RunState:
    budget: RunBudget
    evidence: itertools.count = field(default_factory=lambda: itertools.count(1))


class Gateway:
    """Wraps every registered tool and the LLM path with policy, approval, redaction and audit."""

    def __init__(
        self,
        *,
        policy: Policy,
        audit: AuditLog,
        approvals: ApprovalStore,
        redactor: Redacting,
        max_workers: int = 8,
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.approvals = approvals
        self.redactor = redactor
        self._specs: dict[str, ToolSpec] = {}
        self._runs: dict[str, _RunState] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="gateway")

    # --- registry -------------------------------------------------------------------------
    def register(self, spec: ToolSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"tool {spec.name} registered twice")
        self._specs[spec.name] = spec

    def register_all(self, specs: Iterable[ToolSpec]) -> None:
        for spec in specs:
            self.register(spec)

    def spec(self, name: str) -> ToolSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownTool(name, f"no tool named {name!r} is registered") from None

    def specs(self, prefix: str | None = None) -> list[ToolSpec]:
        return [s for n, s in sorted(self._specs.items()) if prefix is None or n.startswith(prefix)]

    def _run(self, ctx: CallContext) -> _RunState:
        with self._lock:
            state = self._runs.get(ctx.run_id)
            if state is None:  # first call of this run in this process: carry on from the audit log
                used = self.audit.run_usage(ctx.run_id)
                budget = RunBudget(
                    self.policy.budget_for(ctx.principal),
                    tool_calls=used.tool_calls,
                    llm_tokens=used.llm_tokens,
                    cost_usd=used.cost_usd,
                )
                state = _RunState(budget, itertools.count(used.results + 1))
                self._runs[ctx.run_id] = state
            return state

    def budget(self, ctx: CallContext) -> RunBudget:
        return self._run(ctx).budget

    # --- tool calls -----------------------------------------------------------------------
    def call(
        self,
        ctx: CallContext,
        tool: str,
        args: dict[str, Any] | None = None,
        *,
        approval_id: str | None = None,
    ) -> ToolResult:
        """Run one tool call through policy → approval → budget → call → redaction → audit."""
        spec = self.spec(tool)
        raw = dict(args or {})
        scope = ctx.pseudonym_scope
        safe_args = self.redactor.redact_obj(raw, scope)
        try:
            parsed = spec.input_model.model_validate(raw)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            self._audit(ctx, spec, "n/a", safe_args, "invalid", "bad_input", reason=msg)
            raise InvalidArguments(tool, msg) from None
        env = environment_of(parsed, ctx.environment)
        decision = self.policy.decide(
            ctx.principal, tool, spec.action.value, env, parsed.model_dump(mode="json")
        )
        approver = self._authorize(ctx, spec, env, decision, safe_args, raw, approval_id)
        try:
            self._run(ctx).budget.charge_tool_call(tool)
        except GatewayError as exc:
            self._audit(ctx, spec, env, safe_args, decision.decision.value, exc.kind, reason=exc.message)
            raise
        return self._execute(ctx, spec, env, parsed, safe_args, decision, approver, approval_id)

    def _authorize(
        self,
        ctx: CallContext,
        spec: ToolSpec,
        env: str,
        decision: PolicyDecision,
        safe_args: Any,
        raw: dict[str, Any],
        approval_id: str | None,
    ) -> str | None:
        if decision.decision is Decision.DENY:
            self._audit(ctx, spec, env, safe_args, "deny", "denied", reason=decision.reason)
            raise PolicyDenied(spec.name, decision.reason, decision.rule)
        if decision.decision is Decision.ALLOW:
            return None
        args_digest = digest({"tool": spec.name, "args": raw, "env": env})
        if approval_id is None:
            approval = self.approvals.request(
                requester=ctx.principal,
                run_id=ctx.run_id,
                tool=spec.name,
                environment=env,
                arguments=canonical_json(safe_args),
                arguments_digest=args_digest,
                approvers=decision.approvers,
                reason=decision.reason,
            )
            self._audit(
                ctx,
                spec,
                env,
                safe_args,
                "needs_approval",
                "approval_requested",
                reason=decision.reason,
                approval_id=approval.id,
            )
            raise ApprovalRequired(
                spec.name, f"{decision.reason}; approval {approval.id} is pending", approval.id
            )
        try:
            approval = self.approvals.consume(
                approval_id, run_id=ctx.run_id, tool=spec.name, arguments_digest=args_digest
            )
        except ApprovalError as exc:
            self._audit(
                ctx,
                spec,
                env,
                safe_args,
                "needs_approval",
                "approval_invalid",
                reason=str(exc),
                approval_id=approval_id,
            )
            raise ApprovalInvalid(spec.name, str(exc)) from None
        return approval.decided_by

    def _execute(
        self,
        ctx: CallContext,
        spec: ToolSpec,
        env: str,
        parsed: BaseModel,
        safe_args: Any,
        decision: PolicyDecision,
        approver: str | None,
        approval_id: str | None,
    ) -> ToolResult:
        started = time.perf_counter()
        future = self._pool.submit(spec.func, parsed)
        try:
            result = future.result(timeout=spec.timeout_s)
        except FutureTimeout:
            future.cancel()
            failure = ToolFailed(spec.name, f"no answer within {spec.timeout_s:.0f}s", "timeout", spec.source)
        except ToolError as exc:
            failure = ToolFailed(spec.name, exc.message, exc.kind, exc.source)
        except Exception as exc:  # a tool bug must not crash the agent; it is audited as an error
            log.warning("tool %s raised %s", spec.name, type(exc).__name__)
            failure = ToolFailed(spec.name, f"{type(exc).__name__}: {exc}", "error", spec.source)
        else:
            latency = (time.perf_counter() - started) * 1000
            data = self.redactor.redact_obj(to_jsonable(result), ctx.pseudonym_scope)
            rec = self._audit(
                ctx,
                spec,
                env,
                safe_args,
                decision.decision.value,
                "ok",
                latency_ms=latency,
                result_digest=digest(data),
                approver=approver,
                approval_id=approval_id,
            )
            evidence_id = f"E{next(self._run(ctx).evidence)}"
            return ToolResult(spec.name, evidence_id, data, latency, rec.seq)
        latency = (time.perf_counter() - started) * 1000
        safe_message = self.redactor.redact_text(failure.message, ctx.pseudonym_scope)
        self._audit(
            ctx,
            spec,
            env,
            safe_args,
            decision.decision.value,
            f"error:{failure.failure}",
            reason=safe_message,
            latency_ms=latency,
            approver=approver,
            approval_id=approval_id,
        )
        raise ToolFailed(spec.name, safe_message, failure.failure, failure.source)

    # --- LLM calls ------------------------------------------------------------------------
    def llm(
        self,
        ctx: CallContext,
        model: str,
        messages: list[dict[str, Any]],
        invoke: Callable[[list[dict[str, Any]]], LLMReply],
        *,
        estimated_tokens: int = 0,
    ) -> LLMReply:
        """Redact the prompt, check policy and budget, invoke the model, charge and audit the call."""
        tool = f"llm.{model}"
        scope = ctx.pseudonym_scope
        safe_messages = [{**m, "content": self._redact_content(m.get("content"), scope)} for m in messages]
        spec = ToolSpec(tool, "LLM call", BaseModel, ActionClass.READ, invoke, "llm")
        audit_args = {"model": model, "messages": len(safe_messages), "prompt_digest": digest(safe_messages)}

        def audit(decision: str, outcome: str, **extra: Any) -> None:
            self._audit(ctx, spec, ctx.environment, audit_args, decision, outcome, kind="llm", **extra)

        decision = self.policy.decide(
            ctx.principal, tool, ActionClass.READ.value, ctx.environment, {"model": model}
        )
        if decision.decision is not Decision.ALLOW:
            audit(decision.decision.value, "denied", reason=decision.reason)
            raise PolicyDenied(tool, decision.reason, decision.rule)
        budget = self._run(ctx).budget
        try:
            budget.check_llm(tool, estimated_tokens)
        except GatewayError as exc:
            audit("allow", exc.kind, reason=exc.message)
            raise
        started = time.perf_counter()
        try:
            reply = invoke(safe_messages)
        except Exception as exc:
            msg = self.redactor.redact_text(f"{type(exc).__name__}: {exc}", scope)
            audit("allow", "error:unavailable", reason=msg, latency_ms=(time.perf_counter() - started) * 1000)
            raise ToolFailed(tool, msg, "unavailable", "llm") from None
        budget.charge_llm(reply.tokens, reply.cost_usd)
        audit(
            "allow",
            "ok",
            latency_ms=(time.perf_counter() - started) * 1000,
            result_digest=digest(self.redactor.redact_obj(to_jsonable(reply.content), scope)),
            tokens=reply.tokens,
            cost_usd=reply.cost_usd,
        )
        return reply

    def _redact_content(self, content: Any, scope: str) -> Any:
        if isinstance(content, str):
            return self.redactor.redact_text(content, scope)
        return self.redactor.redact_obj(content, scope)

    # --- approvals and the vault ----------------------------------------------------------
    def decide_approval(self, approval_id: str, approver: str, *, approve: bool, note: str = "") -> Any:
        """Approve or deny a pending approval as ``approver`` (checked against the policy's approvers)."""
        pending = self.approvals.get(approval_id)
        authorized = self.policy.can_approve(approver, pending.approvers)
        return self.approvals.decide(
            approval_id,
            approver=approver,
            approve=approve,
            authorized=authorized,
            note=self.redactor.redact_text(note, pending.run_id),
        )

    # --- audit ----------------------------------------------------------------------------
    def _audit(
        self,
        ctx: CallContext,
        spec: ToolSpec,
        env: str,
        safe_args: Any,
        decision: str,
        outcome: str,
        *,
        reason: str = "",
        latency_ms: float = 0.0,
        result_digest: str | None = None,
        approver: str | None = None,
        approval_id: str | None = None,
        tokens: int = 0,
        cost_usd: float = 0.0,
        kind: str = "tool",
    ) -> Any:
        return self.audit.append(
            AuditEntry(
                principal=ctx.principal,
                run_id=ctx.run_id,
                kind=kind,
                tool=spec.name,
                action=spec.action.value,
                environment=env,
                arguments=safe_args,
                decision=decision,
                outcome=outcome,
                reason=reason,
                result_digest=result_digest,
                approver=approver,
                approval_id=approval_id,
                latency_ms=latency_ms,
                tokens=tokens,
                cost_usd=cost_usd,
            )
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
