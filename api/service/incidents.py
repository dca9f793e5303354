"""Incidents: one row per firing alert the service triages, keyed by fingerprint and ``startsAt``.

The same firing alert delivered twice (Alertmanager repeats, two replicas) maps to the same incident id,
so opening it twice is a no-op; a new firing of the same label set (a later ``startsAt``) is a new
incident. Status moves ``triaging`` → ``open`` (a report is stored) → ``resolved``.

Labels and annotations are stored as the caller passes them: the intake redacts them first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import DateTime, String, Text, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from guardrails.store.db import Base, Database

Status = Literal["triaging", "open", "resolved"]
STATUSES: tuple[str, ...] = ("triaging", "open", "resolved")


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    alertname: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(40), default="warning")
    source: Mapped[str] = mapped_column(String(40), default="alertmanager")
    labels_json: Mapped[str] = mapped_column(Text, default="{}")
    annotations_json: Mapped[str] = mapped_column(Text, default="{}")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    report_ids: Mapped[str] = mapped_column(Text, default="[]")
    slack_channel: Mapped[str | None] = mapped_column(String(100), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Incident:
    """An incident as the API and the workers see it (labels already redacted)."""

    id: str
    fingerprint: str
    alertname: str
    status: str
    severity: str
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    report_ids: list[str] = field(default_factory=list)
    slack_channel: str | None = None
    slack_ts: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (times in ISO 8601)."""
        iso = {k: getattr(self, k) for k in ("starts_at", "ends_at", "created_at", "updated_at")}
        return {
            **{k: v for k, v in self.__dict__.items() if k not in iso},
            **{k: (v.isoformat() if v else None) for k, v in iso.items()},
        }


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        fingerprint=row.fingerprint,
        alertname=row.alertname,
        status=row.status,
        severity=row.severity,
        source=row.source,
        labels=json.loads(row.labels_json),
        annotations=json.loads(row.annotations_json),
        starts_at=_aware(row.starts_at),
        ends_at=_aware(row.ends_at),
        report_ids=json.loads(row.report_ids),
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
    )


_INSERT = insert(IncidentRow)
_UPSERT: dict[str, Any] = {
    "sqlite": sqlite_insert(IncidentRow).on_conflict_do_nothing(index_elements=["id"]),
    "postgresql": postgresql_insert(IncidentRow).on_conflict_do_nothing(index_elements=["id"]),
}


def _row(incident: Incident, now: datetime) -> dict[str, Any]:
    return {
        "id": incident.id,
        "fingerprint": incident.fingerprint,
        "alertname": incident.alertname,
        "status": incident.status,
        "severity": incident.severity,
        "source": incident.source,
        "labels_json": json.dumps(incident.labels, sort_keys=True),
        "annotations_json": json.dumps(incident.annotations, sort_keys=True),
        "starts_at": incident.starts_at,
        "ends_at": incident.ends_at,
        "report_ids": "[]",
        "slack_channel": None,
        "slack_ts": None,
        "created_at": now,
        "updated_at": now,
    }


def incident_id(fingerprint: str, starts_at: datetime | None) -> str:
    """The incident id of a firing: a digest of the fingerprint and ``startsAt`` (to the second)."""
    start = starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if starts_at else "-"
    return "inc-" + hashlib.sha256(f"{fingerprint}|{start}".encode()).hexdigest()[:20]


class IncidentStore:
    """Opens, finds and updates incidents in the state database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, incident: Incident) -> bool:
        """Insert ``incident`` unless its id exists; True when this call created it."""
        try:
            with self.db.engine.begin() as conn:
                conn.execute(_INSERT, _row(incident, datetime.now(UTC)))  # compiled once per dialect
        except IntegrityError:  # opened before (a repeat, another replica): the first row stays
            return False
        return True

    def open_many(self, incidents: Sequence[Incident]) -> None:
        """Insert the incidents whose ids do not exist yet, in one transaction (existing rows stay)."""
        if not incidents:
            return
        now = datetime.now(UTC)
        dialect = self.db.engine.dialect.name
        if dialect not in _UPSERT:
            for incident in incidents:
                self.open(incident)
            return
        with self.db.engine.begin() as conn:  # one executemany: compiled once per dialect, then cached
            conn.execute(_UPSERT[dialect], [_row(incident, now) for incident in incidents])

    def get(self, incident_id: str) -> Incident | None:
        with self.db.session() as session:
            row = session.get(IncidentRow, incident_id)
            return _incident(row) if row else None

    def list(self, status: str | None = None, limit: int = 100) -> list[Incident]:
        """Most recent first, optionally only one status."""
        with self.db.session() as session:
            query = select(IncidentRow).order_by(IncidentRow.created_at.desc()).limit(limit)
            if status:
                query = query.where(IncidentRow.status == status)
            return [_incident(r) for r in session.execute(query).scalars()]

    def _update(self, incident_id: str, **changes: Any) -> Incident | None:
        with self.db.session() as session:
            row = session.get(IncidentRow, incident_id, with_for_update=True)
            if row is None:
                return None
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = datetime.now(UTC)
            session.flush()
            return _incident(row)

    def add_report(self, incident_id: str, report_id: str) -> Incident | None:
        """Attach a triage report (once); a ``triaging`` incident becomes ``open``."""
        with self.db.session() as session:
            row = session.get(IncidentRow, incident_id, with_for_update=True)
            if row is None:
                return None
            ids = json.loads(row.report_ids)
            if report_id not in ids:
                row.report_ids = json.dumps([*ids, report_id])
            row.status = "open" if row.status == "triaging" else row.status
            row.updated_at = datetime.now(UTC)
            session.flush()
            return _incident(row)

    def resolve(self, incident_id: str, ends_at: datetime | None) -> Incident | None:
        """Mark the incident resolved (idempotent)."""
        return self._update(incident_id, status="resolved", ends_at=ends_at or datetime.now(UTC))

    def set_slack_thread(self, incident_id: str, channel: str, ts: str) -> Incident | None:
        """Remember the Slack message whose thread carries this incident's reports."""
        return self._update(incident_id, slack_channel=channel, slack_ts=ts)

    def count(self) -> int:
        with self.db.session() as session:
            return len(session.execute(select(IncidentRow.id)).all())
