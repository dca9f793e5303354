"""The gateway: the one door from an agent to a tool or the LLM.

``Gateway.call`` runs, in order: argument validation → **policy** (default deny) → **approval**
(``needs_approval`` creates a pending approval and raises :class:`ApprovalRequired`; the retry with
an approved id goes through) → budget → **call** with a deadline (the tool's timeout, capped at the
time the run has left; past the run's deadline, or to a source that already timed out in the run, a
call is refused as a ``skipped:`` timeout, audited) → **redaction** of the result →
**audit** (hash-chained; every outcome, including denials and failures, is recorded with redacted
arguments). ``Gateway.llm`` does the same for a model call: the prompt is redacted *before* it leaves,
and tokens and money are charged to the run's budget and audited.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from guardrails.approvals import Approval, ApprovalError, ApprovalStore
from guardrails.audit import Appended, AuditEntry, AuditLog
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
from guardrails.identity import Identity
from guardrails.policy import Decision, Policy, PolicyDecision
from tools.base import ActionClass, ToolSpec, run_with_deadline, to_jsonable
from tools.errors import ToolError

log = logging.getLogger("referent.gateway")

__all__ = ["CallContext", "Gateway", "LLMReply", "ToolResult", "environment_of"]


@dataclass
class _RunState:
    """A run's budget and evidence counter in this process (rebuilt from the audit log when missing),
    and the sources whose call timed out in it (source → tool; in memory only)."""

    budget: RunBudget
    evidence: itertools.count[int]
    timed_out: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Call:
    """One call on its way through the gateway: who, which tool, where, and its redacted arguments."""

    ctx: CallContext
    spec: ToolSpec
    env: str
    safe_args: Any


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
        max_runs: int = 4096,
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.approvals = approvals
        self.redactor = redactor
        self._specs: dict[str, ToolSpec] = {}
        self._runs: OrderedDict[str, _RunState] = OrderedDict()  # least recently used first
        self._max_runs = max_runs
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
        """The run's state; on its first call in this process (or after eviction) it carries on from
        the audit log, so a run resumed by another worker keeps its budget and evidence numbering."""
        with self._lock:
            state = self._runs.get(ctx.run_id)
            if state is not None:
                self._runs.move_to_end(ctx.run_id)
                return state
        used = self.audit.run_usage(ctx.run_id)  # outside the lock: one query per run and process
        budget = RunBudget(
            self.policy.budget_for(ctx.principal),
            tool_calls=used.tool_calls,
            llm_tokens=used.llm_tokens,
            cost_usd=used.cost_usd,
        )
        with self._lock:
            state = self._runs.setdefault(ctx.run_id, _RunState(budget, itertools.count(used.results + 1)))
            while len(self._runs) > self._max_runs:  # a long-lived server keeps only recent runs in memory
                self._runs.popitem(last=False)
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
        safe_args = self.redactor.redact_obj(raw, ctx.pseudonym_scope)
        try:
            # egress tools (Slack) send their arguments to people: they get the redacted ones
            parsed = spec.input_model.model_validate(safe_args if "egress" in spec.tags else raw)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            self._audit(_Call(ctx, spec, "n/a", safe_args), "invalid", "bad_input", reason=msg)
            raise InvalidArguments(tool, msg) from None
        call = _Call(
            ctx, spec, environment_of(parsed, ctx.environment, self.policy.environment_of_alias), safe_args
        )
        decision = self.policy.decide(
            ctx.principal, tool, spec.action.value, call.env, parsed.model_dump(mode="json")
        )
        self._refuse_when_late(call, decision)
        approver = self._authorize(call, decision, raw, approval_id)
        try:
            self._run(ctx).budget.charge_tool_call(tool)
        except GatewayError as exc:
            self._audit(call, decision.decision.value, exc.kind, reason=exc.message)
            raise
        return self._execute(call, parsed, decision, approver, approval_id)

    def _refuse_when_late(self, call: _Call, decision: PolicyDecision) -> None:
        """Refuse (audited) a call after the run's deadline, or to a source that timed out in this run.

        Raises:
            ToolFailed: kind ``timeout``, message starting with ``skipped:``; the tool is not called.
        """
        spec, deadline = call.spec, call.ctx.deadline
        if deadline is not None and time.monotonic() >= deadline:
            outcome, message = "skipped:deadline", "skipped: the run's deadline has passed"
        elif spec.source in self._run(call.ctx).timed_out:
            earlier = self._run(call.ctx).timed_out[spec.source]
            outcome = "skipped:source_timed_out"
            message = f"skipped: {spec.source} timed out earlier in this run ({earlier})"
        else:
            return
        self._audit(call, decision.decision.value, outcome, reason=message)
        raise ToolFailed(spec.name, message, "timeout", spec.source)

    def _authorize(
        self, call: _Call, decision: PolicyDecision, raw: dict[str, Any], approval_id: str | None
    ) -> str | None:
        """Raise unless the call may run now; the approver's name when an approval let it through."""
        name = call.spec.name
        if decision.decision is Decision.DENY:
            self._audit(call, "deny", "denied", reason=decision.reason)
            raise PolicyDenied(name, decision.reason, decision.rule)
        if decision.decision is Decision.ALLOW:
            return None
        args_digest = digest({"tool": name, "args": raw, "env": call.env})
        if approval_id is None:
            self._request_approval(call, decision, args_digest)
        try:
            if self.audit.approval_spent(str(approval_id)):  # a used row set back to approved in SQL
                raise ApprovalError(f"approval {approval_id} was already spent (the audit log has the call)")
            approval = self.approvals.consume(
                str(approval_id), run_id=call.ctx.run_id, tool=name, arguments_digest=args_digest
            )
        except ApprovalError as exc:
            self._audit(call, "needs_approval", "approval_invalid", reason=str(exc), approval_id=approval_id)
            raise ApprovalInvalid(name, str(exc)) from None
        return approval.decided_by

    def _request_approval(self, call: _Call, decision: PolicyDecision, args_digest: str) -> NoReturn:
        approval = self.approvals.request(
            requester=call.ctx.principal,
            requested_by=call.ctx.requested_by,
            run_id=call.ctx.run_id,
            tool=call.spec.name,
            environment=call.env,
            arguments=canonical_json(call.safe_args),
            arguments_digest=args_digest,
            approvers=decision.approvers,
            reason=decision.reason,
        )
        self._audit(
            call, "needs_approval", "approval_requested", reason=decision.reason, approval_id=approval.id
        )
        raise ApprovalRequired(
            call.spec.name, f"{decision.reason}; approval {approval.id} is pending", approval.id
        )

    def _execute(
        self,
        call: _Call,
        parsed: BaseModel,
        decision: PolicyDecision,
        approver: str | None,
        approval_id: str | None,
    ) -> ToolResult:
        """Run the tool with its deadline; redact and audit the result, or audit and raise the failure.

        A source whose call timed out is remembered for the run (:meth:`_refuse_when_late`).
        """
        spec, scope = call.spec, call.ctx.pseudonym_scope
        started = time.perf_counter()
        result, failure = self._invoke(spec, parsed, call.ctx.deadline)
        latency = (time.perf_counter() - started) * 1000
        if failure is not None and failure.failure == "timeout":
            self._run(call.ctx).timed_out.setdefault(spec.source, spec.name)
        audit = functools.partial(
            self._audit,
            call,
            decision.decision.value,
            latency_ms=latency,
            approver=approver,
            approval_id=approval_id,
        )
        if failure is None:
            data = self.redactor.redact_obj(to_jsonable(result), scope)
            rec = audit("ok", result_digest=digest(data))
            return ToolResult(spec.name, f"E{next(self._run(call.ctx).evidence)}", data, latency, rec.seq)
        safe_message = self.redactor.redact_text(failure.message, scope)
        audit(f"error:{failure.failure}", reason=safe_message)
        raise ToolFailed(spec.name, safe_message, failure.failure, failure.source)

    def _invoke(
        self, spec: ToolSpec, parsed: BaseModel, run_deadline: float | None
    ) -> tuple[Any, ToolFailed | None]:
        """Call the tool in the pool: its result, or the failure (unredacted message) it ended with.

        The wait is the tool's timeout, capped at the time the run has left; the tool sees the same
        deadline (:func:`tools.base.time_left`) so that its client gives up when the gateway does.
        """
        now = time.monotonic()
        timeout = spec.timeout_s
        if run_deadline is not None:
            timeout = max(0.0, min(timeout, run_deadline - now))
        future = self._pool.submit(run_with_deadline, now + timeout, spec.func, parsed)
        try:
            return future.result(timeout=timeout), None
        except FutureTimeout:
            future.cancel()
            cut = "before the run's deadline" if timeout < spec.timeout_s else f"within {timeout:.3g}s"
            return None, ToolFailed(spec.name, f"no answer {cut}", "timeout", spec.source)
        except ToolError as exc:
            return None, ToolFailed(spec.name, exc.message, exc.kind, exc.source)
        except Exception as exc:  # a tool bug must not crash the agent; it is audited as an error
            log.warning("tool %s raised %s", spec.name, type(exc).__name__)
            return None, ToolFailed(spec.name, f"{type(exc).__name__}: {exc}", "error", spec.source)

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

        call = _Call(ctx, spec, ctx.environment, audit_args)

        def audit(decision: str, outcome: str, **extra: Any) -> None:
            self._audit(call, decision, outcome, kind="llm", **extra)

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

    # --- requests that are refused without running (a model's unknown or unoffered tools) ---
    def refuse(self, ctx: CallContext, tool: str, reason: str, args: Any = None) -> NoReturn:
        """Audit a requested call as denied without running it, then raise :class:`PolicyDenied`.

        For what a model asks for beyond the tools its agent offered it, including names no tool has:
        the request is on the audit record all the same (name and arguments redacted). A name that is
        not registered is recorded as ``destructive``: nothing is known about what it would do.
        """
        scope = ctx.pseudonym_scope
        name = self.redactor.redact_text(tool[:120], scope)
        spec = self._specs.get(tool)
        if spec is None:
            spec = ToolSpec(
                name, "not registered", BaseModel, ActionClass.DESTRUCTIVE, lambda _: None, "unknown"
            )
            reason = f"{reason}; no tool named {name!r} is registered"
        safe_args = self.redactor.redact_obj(args if args is not None else {}, scope)
        self._audit(_Call(ctx, spec, ctx.environment, safe_args), "deny", "denied", reason=reason)
        raise PolicyDenied(name, reason)

    # --- approvals and the vault ----------------------------------------------------------
    def decide_approval(
        self, approval_id: str, identity: Identity, *, approve: bool, note: str = ""
    ) -> Approval:
        """Approve or deny a pending approval as an authenticated ``identity``.

        The policy must name the identity's principal among the approval's approvers, and it must not
        be the run's requester or the human who started the run. The decision, or its refusal, is an
        audit record of kind ``approval``.

        Raises:
            TypeError: ``identity`` is not an :class:`Identity` (e.g. an unauthenticated string).
            ApprovalError: unknown id, not pending, failed verification, not an approver, self-approval.
        """
        if not isinstance(identity, Identity):
            raise TypeError("decide_approval takes an authenticated Identity (guardrails.identity)")
        pending = self.approvals.get(approval_id)
        safe_note = self.redactor.redact_text(note, pending.run_id)
        try:
            decided = self.approvals.decide(
                approval_id,
                approver=identity.principal,
                approve=approve,
                authorized=self.policy.can_approve(identity.principal, pending.approvers),
                note=safe_note,
            )
        except ApprovalError as exc:
            self._audit_decision(pending, identity, "approve" if approve else "deny", "refused", str(exc))
            raise
        self._audit_decision(decided, identity, decided.status.value, "ok", safe_note)
        return decided

    def _audit_decision(
        self, approval: Approval, identity: Identity, decision: str, outcome: str, reason: str
    ) -> None:
        self.audit.append(
            AuditEntry(
                principal=identity.principal,
                run_id=approval.run_id,
                kind="approval",
                tool=approval.tool,
                action="decide",
                environment=approval.environment,
                arguments={"arguments_digest": approval.arguments_digest, "via": identity.via},
                decision=decision,
                outcome=outcome,
                reason=reason,
                approver=identity.principal,
                approval_id=approval.id,
            )
        )

    # --- audit ----------------------------------------------------------------------------
    def _audit(
        self,
        call: _Call,
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
    ) -> Appended:
        return self.audit.append(
            AuditEntry(
                principal=call.ctx.principal,
                run_id=call.ctx.run_id,
                kind=kind,
                tool=call.spec.name,
                action=call.spec.action.value,
                environment=call.env,
                arguments=call.safe_args,
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
