"""The hash-chained, append-only audit log.

Every gateway call (tool or LLM; allowed, denied or failed) appends one record. Record ``n`` stores
``prev_hash`` = hash of record ``n-1`` and ``hash`` = sha256 over the canonical JSON of its own fields
plus ``prev_hash``. A one-row ``audit_head`` table (created by the migrations) holds the last sequence
and hash; an append first updates it in place (``UPDATE … RETURNING``: a row lock on PostgreSQL; on
SQLite inside ``BEGIN IMMEDIATE``, the database write lock), so concurrent writers from several
processes still form one chain. :meth:`AuditLog.verify` reads the records and the head row in one read
transaction (one snapshot: ``REPEATABLE READ`` on PostgreSQL, an explicit ``BEGIN`` on SQLite, whose
driver otherwise runs each ``SELECT`` on its own), so appends committed while it reads are neither seen
half nor mistaken for a deleted tail. It recomputes the chain and names the first bad record: edited (hash mismatch),
deleted (sequence gap or broken link) or reordered (broken link), a deleted tail (head does not match
the last record) and a deleted head row. What SQL access alone can still do — delete the tail *and*
move the head, wipe everything, recompute every hash from some record on — only an anchor outside the
database shows: ``anchors`` (sequence → hash) from signed checkpoints (:mod:`guardrails.checkpoints`).

Only redacted data is ever passed in: the gateway redacts arguments before calling :meth:`append`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Float,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapped, mapped_column

from guardrails.canonical import canonical_json, sha256_hex
from guardrails.store.db import Base, Database

GENESIS = "0" * 64


class AuditRecord(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(40))
    principal: Mapped[str] = mapped_column(String(200), index=True)
    run_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    tool: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    environment: Mapped[str] = mapped_column(String(20))
    arguments: Mapped[str] = mapped_column(Text)
    result_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    approver: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approval_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(40))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


_RECORDS = cast(Table, AuditRecord.__table__)
_HEAD = cast(Table, AuditHead.__table__)
# one statement locks the head row (the write lock on SQLite, a row lock on PostgreSQL) and reads it
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq).returning(_HEAD.c.seq, _HEAD.c.hash)
_INSERT_RECORD = insert(_RECORDS)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


class _Compiled:
    """A statement compiled once for a dialect, executed on a raw DBAPI cursor."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        self._compiled = statement.compile(dialect=dialect)
        self.sql = str(self._compiled)
        self._positions = self._compiled.positiontup  # None for named paramstyles (psycopg)

    def bind(self, values: dict[str, Any]) -> tuple[str, Any]:
        """``(sql, parameters)`` for ``cursor.execute``: the statement's own literals plus ``values``."""
        params = self._compiled.construct_params(values)
        return self.sql, tuple(params[k] for k in self._positions) if self._positions else params


class _AppendStatements:
    def __init__(self, dialect: Dialect) -> None:
        # pysqlite would only open a (deferred) transaction before the first write: take the write lock
        # explicitly, so the head read, the insert and the head move are one transaction under it
        self.begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        self.lock_head = _Compiled(_LOCK_HEAD, dialect)
        self.insert_record = _Compiled(_INSERT_RECORD, dialect)
        self.move_head = _Compiled(_MOVE_HEAD, dialect)


HASHED_FIELDS = (
    "seq",
    "ts",
    "principal",
    "run_id",
    "kind",
    "tool",
    "action",
    "environment",
    "arguments",
    "result_digest",
    "decision",
    "reason",
    "approver",
    "approval_id",
    "outcome",
    "latency_ms",
    "tokens",
    "cost_usd",
    "prev_hash",
)


def record_hash(fields: dict[str, Any]) -> str:
    """The hash of one record: sha256 of the canonical JSON of its hashed fields."""
    body = {k: fields[k] for k in HASHED_FIELDS}
    body["latency_ms"] = round(float(body["latency_ms"]), 3)
    body["cost_usd"] = round(float(body["cost_usd"]), 8)
    return sha256_hex(canonical_json(body))


@dataclass(frozen=True)
class AuditEntry:
    """What the gateway hands in (already redacted)."""

    principal: str
    run_id: str
    kind: str
    tool: str
    action: str
    environment: str
    arguments: Any
    decision: str
    outcome: str
    reason: str = ""
    result_digest: str | None = None
    approver: str | None = None
    approval_id: str | None = None
    latency_ms: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class Appended:
    """Where a record landed in the chain."""

    seq: int
    hash: str


@dataclass(frozen=True)
class RunUsage:
    """What one run has used so far, as recorded in the audit log (survives a restart)."""

    tool_calls: int = 0  # tool calls charged to the budget: executed, whether they succeeded or failed
    results: int = 0  # tool calls that returned a result (each got an evidence id)
    llm_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    first_bad_seq: int | None = None
    problem: str = ""
    last_hash: str = GENESIS  # hash of the last record verified (GENESIS for an empty chain)


def _check_record(rec: Any, expected_seq: int, prev_hash: str, anchors: dict[int, str]) -> str:
    """What is wrong with ``rec`` at position ``expected_seq`` after ``prev_hash`` ('' when nothing)."""
    if rec.seq != expected_seq:
        return f"record {expected_seq} is missing (next is {rec.seq}): deleted"
    if rec.prev_hash != prev_hash:
        return (
            f"record {rec.seq} does not link to record {rec.seq - 1}: "
            "a record before it was deleted, replaced or reordered"
        )
    if record_hash({k: getattr(rec, k) for k in HASHED_FIELDS}) != rec.hash:
        return f"record {rec.seq} was edited (hash mismatch)"
    if rec.seq in anchors and anchors[rec.seq] != rec.hash:
        return f"record {rec.seq} is not the one checkpointed: the chain was rewritten from here or before"
    return ""


class AuditLog:
    """Appends to and verifies the audit chain in a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._sql = _AppendStatements(db.engine.dialect)

    def append(self, entry: AuditEntry) -> Appended:
        """Append one record; serialized across threads (lock) and processes (head row / write lock).

        This runs on every gateway call, so it executes the three prebuilt statements (compiled once
        for the engine's dialect) on the pooled DBAPI connection, without SQLAlchemy's per-execute
        machinery: ~0.1 ms instead of ~0.5 ms on SQLite.
        """
        with self._lock:
            conn = self.db.engine.raw_connection()
            try:
                cur = conn.cursor()
                if self._sql.begin:
                    cur.execute(self._sql.begin)
                cur.execute(*self._sql.lock_head.bind({}))
                head = cur.fetchone()
                if head is None:
                    raise RuntimeError("audit_head row missing: the store is not migrated (Database.migrate)")
                fields = self._fields(entry, head[0] + 1, head[1])
                cur.execute(*self._sql.insert_record.bind(fields))
                cur.execute(*self._sql.move_head.bind({"new_seq": fields["seq"], "new_hash": fields["hash"]}))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                conn.close()  # back to the pool
        return Appended(fields["seq"], fields["hash"])

    @staticmethod
    def _fields(entry: AuditEntry, seq: int, prev_hash: str) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "seq": seq,
            "ts": datetime.now(UTC).isoformat(timespec="microseconds"),
            "principal": entry.principal,
            "run_id": entry.run_id,
            "kind": entry.kind,
            "tool": entry.tool,
            "action": entry.action,
            "environment": entry.environment,
            "arguments": canonical_json(entry.arguments),
            "result_digest": entry.result_digest,
            "decision": entry.decision,
            "reason": entry.reason,
            "approver": entry.approver,
            "approval_id": entry.approval_id,
            "outcome": entry.outcome,
            "latency_ms": round(float(entry.latency_ms), 3),
            "tokens": int(entry.tokens),
            "cost_usd": round(float(entry.cost_usd), 8),
            "prev_hash": prev_hash,
        }
        fields["hash"] = record_hash(fields)
        return fields

    def run_usage(self, run_id: str) -> RunUsage:
        """Totals of one run's records, so a run resumed in another process keeps its budget and ids."""
        r = _RECORDS.c
        is_tool, is_llm = r.kind == "tool", r.kind == "llm"
        executed = or_(r.outcome == "ok", r.outcome.like("error:%"))

        def total(column: Any, where: Any) -> Any:
            return func.coalesce(func.sum(case((where, column), else_=0)), 0)

        query = select(
            total(1, and_(is_tool, executed)),
            total(1, and_(is_tool, r.outcome == "ok")),
            total(r.tokens, is_llm),
            total(r.cost_usd, is_llm),
        ).where(r.run_id == run_id)
        with self.db.engine.connect() as conn:
            calls, results, tokens, cost = conn.execute(query).one()
        return RunUsage(int(calls), int(results), int(tokens), float(cost))

    def tail(self, limit: int = 20, run_id: str | None = None) -> list[AuditRecord]:
        with self.db.session() as session:
            query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
            if run_id:
                query = query.where(AuditRecord.run_id == run_id)
            return list(reversed(session.execute(query).scalars().all()))

    def approval_spent(self, approval_id: str) -> bool:
        """Whether a tool call already ran (succeeded or failed) on ``approval_id``."""
        r = _RECORDS.c
        query = (
            select(r.seq)
            .where(
                r.approval_id == approval_id,
                r.kind == "tool",
                or_(r.outcome == "ok", r.outcome.like("error:%")),
            )
            .limit(1)
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).first() is not None

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A connection in one read transaction: every query in it sees the same committed state."""
        dialect = self.db.engine.dialect.name
        with self.db.engine.connect() as conn:
            if dialect == "postgresql":  # READ COMMITTED (the default) takes a new snapshot per statement
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if dialect == "sqlite":  # pysqlite emits no BEGIN before a SELECT: each would be on its own
                    conn.exec_driver_sql("BEGIN")
                yield conn

    def verify(self, anchors: Mapping[int, str] | None = None) -> VerifyResult:
        """Recompute the chain; report the first record that was edited, deleted or reordered.

        Args:
            anchors: sequence → hash the chain must hold (from signed checkpoints); a record that
                differs, or an anchored sequence past the end of the chain, is a failure.
        """
        pins = {seq: h for seq, h in (anchors or {}).items() if seq > 0}
        with self._snapshot() as conn:  # records and head from one snapshot, whatever appends meanwhile
            head = conn.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
            prev_hash, count = GENESIS, 0
            for rec in conn.execute(select(_RECORDS).order_by(_RECORDS.c.seq)):
                problem = _check_record(rec, count + 1, prev_hash, pins)
                if problem:
                    return VerifyResult(False, count, count + 1, problem, prev_hash)
                prev_hash, count = rec.hash, count + 1
        if pins and max(pins) > count:
            return VerifyResult(
                False,
                count,
                count + 1,
                f"the chain ends at record {count} but a checkpoint anchors record {max(pins)}: "
                "records were deleted from the end (or wiped)",
                prev_hash,
            )
        if head is None:
            return VerifyResult(False, count, count + 1, "the audit head row is missing: deleted", prev_hash)
        if head.seq != count or head.hash != prev_hash:
            return VerifyResult(
                False,
                count,
                count + 1,
                f"chain ends at record {count} but the head says {head.seq}: records were deleted from the end",
                prev_hash,
            )
        return VerifyResult(True, count, last_hash=prev_hash)
