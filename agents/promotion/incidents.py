"""Open incidents of a model, for the ``no_open_incident`` gate.

Two sources, one answer (:func:`open_incidents`):

- the **incidents table** of the state database (one row per firing alert the service triaged, with a
  status ``triaging`` / ``open`` / ``resolved``): a row whose labels name the model and that is not
  resolved is open — unless the latest triage report of its alert abstained. A resolved row closes its
  alert's fingerprint for the reports below.
- the **stored triage reports** (the CLI and the API store reports without an incident row): per alert
  (its fingerprint, else the report subject) only the latest report counts, and it is an open incident
  when it is about the model (subject, ``model`` field or the alert's ``model`` label), triage did not
  abstain, its alert is not resolved (status ``resolved`` or an ``ends_at`` in the past) and its own
  ``status``, when a later process set one, is not a closed state.

Only reports and incidents younger than ``lookback`` are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from agents.reports import StoredReport
from guardrails.store.db import Database

_INCIDENTS = sa.table(
    "incidents",
    sa.column("id"),
    sa.column("fingerprint"),
    sa.column("alertname"),
    sa.column("status"),
    sa.column("labels_json"),
    sa.column("updated_at"),
)


class ReportSource(Protocol):
    def list(self, kind: str | None = None, limit: int = 50) -> list[StoredReport]: ...


def _body(body_json: str) -> dict[str, Any]:
    try:
        body = json.loads(body_json)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _aware(ts: datetime, like: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=like.tzinfo)


def _alert(body: dict[str, Any]) -> dict[str, Any]:
    alert = body.get("alert")
    return alert if isinstance(alert, dict) else {}


def names_model(subject: str, body: dict[str, Any], model: str) -> bool:
    """Whether a triage report is about ``model`` (its subject, ``model`` field or alert labels)."""
    if model in subject.replace(",", " ").replace(":", " ").split():
        return True
    labels = body.get("labels") or _alert(body).get("labels") or {}
    return body.get("model") == model or (isinstance(labels, dict) and labels.get("model") == model)


def alert_resolved(body: dict[str, Any], now: datetime) -> bool:
    """The report's alert is resolved: status ``resolved`` or an end time already past."""
    alert = _alert(body)
    if str(alert.get("status", "")).lower() == "resolved":
        return True
    ends = alert.get("ends_at")
    if isinstance(ends, str) and ends:
        try:
            return _aware(datetime.fromisoformat(ends.replace("Z", "+00:00")), now) <= now
        except ValueError:
            return False
    return False


def latest_per_alert(reports: Iterable[StoredReport]) -> list[tuple[StoredReport, dict[str, Any]]]:
    """The newest report per alert fingerprint (subject when the body has none), with its parsed body."""
    latest: dict[str, tuple[StoredReport, dict[str, Any]]] = {}
    for rep in reports:
        body = _body(rep.body_json)
        key = str(_alert(body).get("fingerprint") or rep.subject)
        if key not in latest or rep.created_at > latest[key][0].created_at:
            latest[key] = (rep, body)
    return list(latest.values())


def table_incidents(db: Database, model: str, since: datetime) -> list[dict[str, Any]]:
    """The newest row per alert fingerprint of the incidents table whose labels name ``model``,
    among those updated since ``since``."""
    query = (
        sa.select(_INCIDENTS)
        .where(_INCIDENTS.c.updated_at >= since)
        .order_by(_INCIDENTS.c.updated_at.desc())
        .limit(500)
    )
    with db.session() as session:
        rows = [dict(r._mapping) for r in session.execute(query)]
    latest: dict[str, dict[str, Any]] = {}  # per fingerprint, the newest row (a later firing or a resolve)
    for row in rows:
        labels = _body(str(row.get("labels_json") or "{}"))
        if model in (labels.get("model"), labels.get("model_name")):
            latest.setdefault(str(row["fingerprint"]), row)
    return list(latest.values())


def _from_reports(
    latest: list[tuple[StoredReport, dict[str, Any]]], model: str, now: datetime, closed: set[str]
) -> list[dict[str, Any]]:
    found = []
    for rep, body in latest:
        status = str(body.get("status", "")).lower()
        if not names_model(rep.subject, body, model) or body.get("abstained") is True:
            continue
        if status in closed or alert_resolved(body, now):
            continue
        found.append(
            {
                "id": rep.id,
                "subject": rep.subject,
                "status": status or "open",
                "alertname": _alert(body).get("alertname", ""),
                "fingerprint": _alert(body).get("fingerprint", ""),
            }
        )
    return found


def open_incidents(
    reports: ReportSource | None,
    model: str,
    *,
    now: datetime,
    lookback: timedelta,
    closed_states: Iterable[str] = ("resolved", "closed", "mitigated"),
    db: Database | None = None,
) -> list[dict[str, Any]]:
    """Open incidents about ``model``: ``{id, subject, status, alertname, fingerprint}`` per incident.

    ``db`` is the state database holding the incidents table (default: the report store's own).
    """
    if reports is None and db is None:
        return []
    closed = {s.lower() for s in closed_states}
    cutoff = now - lookback
    recent = [] if reports is None else reports.list(kind="triage", limit=500)
    latest = latest_per_alert(r for r in recent if _aware(r.created_at, now) >= cutoff)
    abstained = {str(_alert(body).get("fingerprint")) for _, body in latest if body.get("abstained") is True}
    db = db or getattr(reports, "db", None)
    rows = table_incidents(db, model, cutoff) if isinstance(db, Database) else []
    resolved = {str(r["fingerprint"]) for r in rows if str(r["status"]).lower() in closed}
    found = [
        {
            "id": str(r["id"]),
            "subject": f"{r['alertname']}:{r['fingerprint']}",
            "status": str(r["status"]),
            "alertname": str(r["alertname"]),
            "fingerprint": str(r["fingerprint"]),
        }
        for r in rows
        if str(r["status"]).lower() not in closed and str(r["fingerprint"]) not in abstained
    ]
    seen = {f["fingerprint"] for f in found} | resolved
    found += [
        f
        for f in _from_reports(latest, model, now, closed)
        if f["fingerprint"] not in seen or not f["fingerprint"]
    ]
    return found
