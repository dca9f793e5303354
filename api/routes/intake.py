"""Pure helpers of the webhooks: bounded body reading, PagerDuty signatures, PagerDuty → alert.

PagerDuty v3 webhooks sign the raw body with HMAC-SHA256 and send ``X-PagerDuty-Signature:
v1=<hex>[,v1=<hex>…]`` (several while a secret rotates); a delivery is accepted when any signature
verifies with any configured secret (``REFERENT_PAGERDUTY_SECRETS``, newest first).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import SecretStr

from api.routes.errors import BodyTooLarge, Unprocessable

_NAME = re.compile(r"[^A-Za-z0-9_]+")
FIRING = {"incident.triggered", "incident.reopened", "incident.escalated"}
RESOLVED = {"incident.resolved"}


async def read_limited(headers: Any, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The body, refusing (413) a declared or streamed size over ``limit`` bytes."""
    declared = headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLarge(f"body of {declared} bytes is over the limit of {limit}")
        except ValueError:
            raise Unprocessable("Content-Length is not a number") from None
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"body is over the limit of {limit} bytes")
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body`` (422 with the reason when it is not JSON)."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unprocessable("body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise Unprocessable(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def pagerduty_signature(secret: str, body: bytes) -> str:
    """``v1=<hex>``: what PagerDuty sends for ``body`` signed with ``secret``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_verified(header: str | None, body: bytes, secrets: Sequence[SecretStr]) -> bool:
    """Whether any ``v1=`` signature of the header verifies ``body`` with any secret (constant time)."""
    if not header or not secrets:
        return False
    offered = [s.strip() for s in header.split(",") if s.strip().startswith("v1=")]
    ok = False
    for secret in secrets:
        expected = pagerduty_signature(secret.get_secret_value(), body)
        for signature in offered:
            ok |= hmac.compare_digest(expected.encode(), signature.encode())
    return ok


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise Unprocessable(f"PagerDuty event has no {what}")
    return value


def pagerduty_alerts(payload: Any) -> list[dict[str, Any]]:
    """The alerts a PagerDuty v3 webhook carries: one per incident trigger or resolution, else none.

    The incident's PagerDuty id is the fingerprint, so its trigger and its resolution are one incident.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise Unprocessable("not a PagerDuty v3 webhook: no event object")
    event = payload["event"]
    kind = _text(event.get("event_type"), "event_type")
    if kind not in FIRING | RESOLVED:
        return []
    data = event.get("data")
    if not isinstance(data, dict):
        raise Unprocessable("PagerDuty event has no data object")
    incident = _text(data.get("id"), "incident id")
    title = str(data.get("title") or "PagerDuty incident")
    service: dict[str, Any] = data["service"] if isinstance(data.get("service"), dict) else {}
    labels = {
        "alertname": _NAME.sub("_", title).strip("_")[:100] or "PagerDutyIncident",
        "pagerduty_incident": incident,
        "urgency": str(data.get("urgency") or "high"),
        "severity": "critical" if data.get("urgency") == "high" else "warning",
    }
    if service.get("summary"):
        labels["service"] = str(service["summary"])
    return [
        {
            "labels": labels,
            "annotations": {"summary": title, "pagerduty_url": str(data.get("html_url") or "")},
            "status": "firing" if kind in FIRING else "resolved",
            "fingerprint": hashlib.sha256(f"pagerduty:{incident}".encode()).hexdigest()[:16],
            "endsAt": event.get("occurred_at") if kind in RESOLVED else None,
        }
    ]
