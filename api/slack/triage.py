"""``/referent triage <alertname|fingerprint|incident id>``: find the incident, or start a triage.

An incident id or an alert fingerprint names a known incident: the answer is its status and the link to
its page (the triage report is posted in its thread when done). An alert name with an open incident
answers the same; otherwise an alert with that name, firing now, goes through the same durable intake
as Alertmanager's (``api.workers.triage.enqueue_alerts``), and the triage workflow posts its report to
the channel the routing rules name.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any


def page_url(services: Any, incident_id: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}/incidents/{incident_id}"


def _known(services: Any, target: str) -> Any:
    """The incident ``target`` names: its id, its fingerprint, or an unresolved one of that alert name."""
    incident = services.incidents.get(target)
    if incident is not None:
        return incident
    recent = services.incidents.list(limit=500)
    for match in (
        lambda i: i.fingerprint == target,
        lambda i: i.alertname == target and i.status != "resolved",
    ):
        found = next((i for i in recent if match(i)), None)
        if found is not None:
            return found
    return None


def slack_alert(alertname: str, now: datetime | None = None) -> dict[str, Any]:
    """An Alertmanager-shaped firing alert for a triage asked in Slack (its fingerprint derives from the name)."""
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    return {
        "status": "firing",
        "labels": {"alertname": alertname, "source": "slack"},
        "annotations": {"summary": f"triage of {alertname} asked in Slack"},
        "startsAt": start.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": hashlib.sha256(f"slack|{alertname}".encode()).hexdigest()[:16],
    }


def start_triage(services: Any, target: str) -> str:
    """The answer to ``/referent triage target``: an incident's status and page, or a started triage."""
    incident = _known(services, target)
    if incident is not None:
        reports = len(incident.report_ids)
        return (
            f"Incident `{incident.id}` ({incident.alertname}) is *{incident.status}* with {reports} "
            f"triage report(s): {page_url(services, incident.id)}"
        )
    from api.workers.triage import enqueue_alerts

    ids = enqueue_alerts(services, [slack_alert(target)], "slack")
    if not ids:
        return f"Sorry, the triage of `{target}` was not accepted."
    return f"Triage of `{target}` started: incident `{ids[0]}` — {page_url(services, ids[0])}"
