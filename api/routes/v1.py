"""REST ``/v1``: runbooks, rightsizing, FinOps reports, promotions, approvals, audit.

Reads need ``viewer``; running an agent needs ``operator`` (the agent calls tools under its own
principal, with the caller ``token:<name>`` recorded as the requester); approving or denying needs
``approver`` and the policy must name the caller's ``token:<name>`` among the approvers; the audit
tail needs ``admin``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.routes.deps import Admin, Approver, Operator, ServicesDep, Viewer
from api.routes.errors import ALERT_NAME_PARAM, RESPONSES, NotFoundError
from api.service.services import Services

router = APIRouter(prefix="/v1", responses=RESPONSES)


class StoredReportOut(BaseModel):
    id: str
    kind: str
    run_id: str
    subject: str
    created_at: str
    report: dict[str, Any] = Field(default_factory=dict)
    markdown: str = ""


class ReportList(BaseModel):
    reports: list[StoredReportOut]


def _report_out(stored: Any, *, full: bool) -> StoredReportOut:
    return StoredReportOut(
        id=stored.id,
        kind=stored.kind,
        run_id=stored.run_id,
        subject=stored.subject,
        created_at=stored.created_at.isoformat(),
        report=json.loads(stored.body_json) if full else {},
        markdown=stored.markdown if full else "",
    )


def _list(services: Services, kind: str, limit: int) -> ReportList:
    return ReportList(
        reports=[_report_out(r, full=False) for r in services.reports.list(kind=kind, limit=limit)]
    )


def _get(services: Services, kind: str, report_id: str) -> StoredReportOut:
    stored = services.reports.get(report_id)
    if stored is None or stored.kind != kind:
        raise NotFoundError(f"no {kind} report {report_id}")
    return _report_out(stored, full=True)


Limit = Query(default=50, ge=1, le=500)


@router.get("/runbooks/{alert}", tags=["runbooks"], openapi_extra=ALERT_NAME_PARAM)
def runbook(request: Request, _: Viewer) -> dict[str, str]:
    """The runbook of an alert (Markdown) and its stable URL."""
    from api.app import default_library

    doc = default_library().find(request.path_params["alert"])  # documented by ALERT_NAME_PARAM
    return {"alert": doc.alert, "url": doc.url, "markdown": doc.markdown}


@router.get("/rightsizing", tags=["finops"], response_model=ReportList)
def list_rightsizing(services: ServicesDep, _: Viewer, limit: int = Limit) -> ReportList:
    """Stored rightsizing reports, most recent first."""
    return _list(services, "rightsizing", limit)


class RightsizeRequest(BaseModel):
    namespace: str | None = Field(default=None, pattern=r'^[^"{}\\]+$', max_length=200)
    workload: str | None = Field(default=None, pattern=r'^[^"{}\\]+$', max_length=200)
    window_days: int = Field(default=14, ge=1, le=90)


def _rightsize(services: Services, body: RightsizeRequest, requester: str) -> str:
    from agents.deps import AgentDeps
    from agents.rightsizing.graph import run_rightsizing
    from guardrails.gateway import CallContext

    ctx = CallContext(
        principal="agent:rightsizing", run_id=f"rightsizing-{uuid.uuid4().hex[:10]}", requested_by=requester
    )
    deps = AgentDeps(gateway=services.runtime.gateway, ctx=ctx, chat=services.chat, llm=services.llm)
    report = run_rightsizing(
        deps,
        namespace=body.namespace,
        workload=body.workload,
        window_days=body.window_days,
        store=services.reports,
    )
    return str(getattr(report, "report_id", None) or "")


@router.post("/rightsizing/runs", tags=["finops"], response_model=StoredReportOut)
async def run_rightsizing_now(
    body: RightsizeRequest, services: ServicesDep, who: Operator
) -> StoredReportOut:
    """Run the rightsizing agent now and return the stored report."""
    report_id = await run_in_threadpool(_rightsize, services, body, who.principal)
    return _get(services, "rightsizing", report_id)


@router.get("/rightsizing/{report_id}", tags=["finops"], response_model=StoredReportOut)
def get_rightsizing(report_id: str, services: ServicesDep, _: Viewer) -> StoredReportOut:
    return _get(services, "rightsizing", report_id)


@router.get("/finops/reports", tags=["finops"], response_model=ReportList)
def list_finops(services: ServicesDep, _: Viewer, limit: int = Limit) -> ReportList:
    """Stored FinOps reports (scheduled or on demand), most recent first."""
    return _list(services, "finops", limit)


@router.get("/finops/reports/{report_id}", tags=["finops"], response_model=StoredReportOut)
def get_finops(report_id: str, services: ServicesDep, _: Viewer) -> StoredReportOut:
    return _get(services, "finops", report_id)


@router.get("/promotions", tags=["promotions"], response_model=ReportList)
def list_promotions(services: ServicesDep, _: Viewer, limit: int = Limit) -> ReportList:
    """Stored promotion reports (gate results, decisions), most recent first."""
    return _list(services, "promotion", limit)


class PromotionRequest(BaseModel):
    model: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:/-]+$")
    version: int = Field(ge=1)
    environment: str = Field(pattern="^(dev|staging|production)$")


class PromotionAccepted(BaseModel):
    run_id: str
    workflow_id: str


@router.post("/promotions", tags=["promotions"], status_code=202, response_model=PromotionAccepted)
def start_promotion(body: PromotionRequest, services: ServicesDep, who: Operator) -> PromotionAccepted:
    """Run the promotion checks on a worker (as ``agent:promotion``, requested by the caller); a
    production alias move then waits for an approver (``/v1/approvals``)."""
    from api.workers import promotions

    run_id = f"promote-{uuid.uuid4().hex[:12]}"
    request = {**body.model_dump(), "run_id": run_id, "requested_by": who.principal}
    return PromotionAccepted(run_id=run_id, workflow_id=promotions.enqueue_promotion(request))


@router.get("/promotions/{report_id}", tags=["promotions"], response_model=StoredReportOut)
def get_promotion(report_id: str, services: ServicesDep, _: Viewer) -> StoredReportOut:
    return _get(services, "promotion", report_id)


class ApprovalOut(BaseModel):
    id: str
    status: str
    requester: str
    run_id: str
    tool: str
    environment: str
    arguments: str
    approvers: list[str]
    reason: str
    created_at: str
    expires_at: str
    decided_by: str | None
    resume_workflow_id: str | None = Field(
        default=None, description="the workflow resuming the paused run this approval let through"
    )


class ApprovalList(BaseModel):
    approvals: list[ApprovalOut]


class Decision(BaseModel):
    note: str = Field(default="", max_length=2000)


def _approval_out(a: Any) -> ApprovalOut:
    return ApprovalOut(
        id=a.id,
        status=str(a.status),
        requester=a.requester,
        run_id=a.run_id,
        tool=a.tool,
        environment=a.environment,
        arguments=a.arguments,
        approvers=list(a.approvers),
        reason=a.reason,
        created_at=a.created_at.isoformat(),
        expires_at=a.expires_at.isoformat(),
        decided_by=a.decided_by,
    )


@router.get("/approvals", tags=["approvals"], response_model=ApprovalList)
def list_approvals(services: ServicesDep, _: Viewer) -> ApprovalList:
    """Pending approvals."""
    return ApprovalList(approvals=[_approval_out(a) for a in services.runtime.approvals.pending()])


def _decide(services: Services, who: Any, approval_id: str, approve: bool, note: str) -> ApprovalOut:
    from api.workers import dbos_app, promotions

    identity = who.identity(services)
    decided = services.runtime.gateway.decide_approval(approval_id, identity, approve=approve, note=note)
    out = _approval_out(decided)
    if dbos_app.launched():  # a denied run resumes too: it ends, reporting the denial
        out.resume_workflow_id = promotions.enqueue_resume(decided)
    return out


@router.post("/approvals/{approval_id}/approve", tags=["approvals"], response_model=ApprovalOut)
def approve(approval_id: str, body: Decision, services: ServicesDep, who: Approver) -> ApprovalOut:
    """Approve as ``token:<name>`` (the policy must name it an approver; never the requester)."""
    return _decide(services, who, approval_id, True, body.note)


@router.post("/approvals/{approval_id}/deny", tags=["approvals"], response_model=ApprovalOut)
def deny(approval_id: str, body: Decision, services: ServicesDep, who: Approver) -> ApprovalOut:
    """Deny as ``token:<name>``."""
    return _decide(services, who, approval_id, False, body.note)


@router.get("/audit", tags=["audit"])
def audit_tail(
    services: ServicesDep, _: Admin, limit: int = Query(default=50, ge=1, le=1000), run_id: str | None = None
) -> dict[str, Any]:
    """The last audit records (already redacted), oldest first."""
    fields = ("seq", "ts", "principal", "run_id", "kind", "tool", "action", "environment", "decision")
    more = ("outcome", "approver", "latency_ms", "tokens", "cost_usd", "hash")
    records = services.runtime.audit.tail(limit=limit, run_id=run_id)
    return {"records": [{f: getattr(r, f) for f in (*fields, *more)} for r in records]}


@router.get("/audit/verify", tags=["audit"])
def audit_verify(services: ServicesDep, _: Viewer) -> dict[str, Any]:
    """Recompute the audit hash chain; name the first bad record."""
    result = services.runtime.audit.verify()
    return {
        "ok": result.ok,
        "records": result.records,
        "first_bad_seq": result.first_bad_seq,
        "problem": result.problem,
    }
