"""Alert intake for triage: parse, normalize and deduplicate what Alertmanager (or a human) sends.

Accepted shapes (JSON objects):

* an Alertmanager webhook payload, version 4 (``{"version": "4", "alerts": [...], ...}``);
* one Alertmanager alert (``{"labels": {...}, "annotations": {...}, "startsAt": ..., "fingerprint": ...}``);
* one Prometheus API alert (``{"labels": ..., "annotations": ..., "activeAt": ..., "state": ...}``);
* the short form the sandbox worlds use (``{"alertname": ..., "severity": ..., "labels": {...}, "summary": ...}``).

The fingerprint is Alertmanager's own when the alert carries one; otherwise it is computed the way
Prometheus/Alertmanager compute a label set's fingerprint (64-bit FNV-1a over the sorted label names and
values, each followed by the 0xff separator), so the same alert gets the same id either way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF
_MASK = 2**64 - 1
_ZERO_TIME = "0001-01-01"


class AlertError(ValueError):
    """The input is not an alert or an Alertmanager payload."""


class NormalizedAlert(BaseModel):
    """One alert in the shape triage works with."""

    alertname: str
    fingerprint: str
    status: str = Field(default="firing", description="firing | resolved")
    severity: str = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or self.alertname


def label_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set: FNV-1a 64 over sorted ``name 0xff value 0xff``, as hex."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode():
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
            value = ((value ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str) or value.startswith(_ZERO_TIME):
        return None
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Go prints nanoseconds; Python parses at most microseconds
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{tz}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise AlertError(f"not an RFC 3339 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _strings(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AlertError(f"{what} must be an object of strings")
    return {str(k): str(v) for k, v in value.items()}


def _short_form(raw: dict[str, Any]) -> dict[str, Any]:
    """The world's short alert shape turned into an Alertmanager alert."""
    labels = {"alertname": str(raw["alertname"]), **_strings(raw.get("labels"), "labels")}
    if raw.get("severity"):
        labels.setdefault("severity", str(raw["severity"]))
    annotations = _strings(raw.get("annotations"), "annotations")
    for key in ("summary", "description"):
        if raw.get(key):
            annotations.setdefault(key, str(raw[key]))
    return {
        "labels": labels,
        "annotations": annotations,
        "startsAt": raw.get("startsAt"),
        "status": raw.get("status", "firing"),
        "fingerprint": raw.get("fingerprint"),
    }


def normalize_alert(raw: dict[str, Any]) -> NormalizedAlert:
    """Normalize one alert object (Alertmanager, Prometheus API or the short world form)."""
    if not isinstance(raw, dict):
        raise AlertError("an alert must be a JSON object")
    if "alertname" in raw and "alertname" not in (raw.get("labels") or {}):
        raw = _short_form(raw)
    labels = _strings(raw.get("labels"), "labels")
    if not labels.get("alertname"):
        raise AlertError("the alert has no alertname label")
    status = str(raw.get("status") or raw.get("state") or "firing").lower()
    status = "firing" if status in {"firing", "pending", "active"} else status
    return NormalizedAlert(
        alertname=labels["alertname"],
        fingerprint=str(raw.get("fingerprint") or label_fingerprint(labels)),
        status=status,
        severity=labels.get("severity", "warning"),
        labels=labels,
        annotations=_strings(raw.get("annotations"), "annotations"),
        starts_at=_time(raw.get("startsAt") or raw.get("activeAt")),
        ends_at=_time(raw.get("endsAt")),
        generator_url=str(raw.get("generatorURL") or ""),
    )


def parse_alerts(payload: Any) -> list[NormalizedAlert]:
    """All alerts in ``payload``, normalized and deduplicated by fingerprint (earliest start kept).

    Raises:
        AlertError: the payload is neither an alert nor an Alertmanager webhook payload, or a v4
            payload has no alerts.
    """
    if isinstance(payload, list):
        raws = payload
    elif isinstance(payload, dict) and "alerts" in payload:
        version = str(payload.get("version", "4"))
        if version != "4":
            raise AlertError(f"unsupported Alertmanager payload version {version!r} (expected 4)")
        raws = payload["alerts"] or []
        common = _strings(payload.get("commonLabels"), "commonLabels")
        raws = [
            {**r, "labels": {**common, **(r.get("labels") or {})}} if isinstance(r, dict) else r for r in raws
        ]
    elif isinstance(payload, dict):
        raws = [payload]
    else:
        raise AlertError("expected a JSON object: an Alertmanager v4 payload or one alert")
    if not raws:
        raise AlertError("the payload contains no alerts")
    return deduplicate([normalize_alert(r) for r in raws])


def deduplicate(alerts: list[NormalizedAlert]) -> list[NormalizedAlert]:
    """One alert per fingerprint, firing before resolved, earliest start first; input order otherwise kept."""
    best: dict[str, NormalizedAlert] = {}
    for alert in alerts:
        current = best.get(alert.fingerprint)
        if current is None or _rank(alert) < _rank(current):
            best[alert.fingerprint] = alert
    return [best[fp] for fp in dict.fromkeys(a.fingerprint for a in alerts)]


def _rank(alert: NormalizedAlert) -> tuple[int, float]:
    start = alert.starts_at.timestamp() if alert.starts_at else float("inf")
    return (0 if alert.status == "firing" else 1, start)
