"""Open incidents of a model, for the ``no_open_incident`` gate.

Until the state database has an incidents table with a status, "open" is derived from the stored
triage reports: per alert (its fingerprint, else the report subject) only the **latest** report counts,
and it is an open incident when

- it is about the model (subject, ``model`` field or the alert's ``model`` label),
- triage did not abstain (an abstention is not a diagnosed incident),
- its alert is not resolved (alert status ``resolved`` or an ``ends_at`` in the past), and
- its own ``status`` (when a later process set one) is not a closed state.

Only reports younger than ``lookback`` are read. :func:`open_incidents` is the one place to switch to
the incidents table later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from agents.reports import StoredReport


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


def open_incidents(
    reports: ReportSource | None,
    model: str,
    *,
    now: datetime,
    lookback: timedelta,
    closed_states: Iterable[str] = ("resolved", "closed", "mitigated"),
) -> list[dict[str, Any]]:
    """Open incidents about ``model``: ``{id, subject, status, alertname}`` per open incident."""
    if reports is None:
        return []
    closed = {s.lower() for s in closed_states}
    cutoff = now - lookback
    recent = [r for r in reports.list(kind="triage", limit=500) if _aware(r.created_at, now) >= cutoff]
    found = []
    for rep, body in latest_per_alert(recent):
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
            }
        )
    return found
