"""An audit chain an attacker with database access cannot rewrite silently.

Each tamper that a consistent SQL edit gets past the plain ``verify`` (tail deleted together with the
head row moved back, every record wiped, every hash recomputed from some record on) is caught once the
chain is anchored by signed checkpoints outside the database; so are edited, deleted or re-signed
checkpoint files. ``audit verify`` opens the store read-only and refuses a missing database.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from guardrails.audit import GENESIS, HASHED_FIELDS, AuditEntry, AuditLog, AuditRecord, record_hash
from guardrails.checkpoints import (
    PUBLIC_KEY_FILE,
    CheckpointError,
    signing_key,
    verify_with_checkpoints,
    write_checkpoint,
)
from guardrails.store.db import Database


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        principal="agent:promotion",
        run_id="run-cp",
        kind="tool",
        tool="mlflow.set_alias",
        action="write",
        environment="production",
        arguments={"model": "fraud-scorer", "version": i},
        decision="allow",
        outcome="ok",
    )


@pytest.fixture
def anchored(state_db_url, tmp_path):
    """Six records, checkpointed at record 4 and record 6."""
    db = Database(state_db_url)
    log = AuditLog(db)
    key = signing_key(tmp_path / "keys" / "audit-signing.key")
    directory = tmp_path / "checkpoints"
    for i in range(1, 7):
        log.append(_entry(i))
        if i in (4, 6):
            write_checkpoint(log, directory, key)
    yield db, log, directory, key
    db.dispose()


def _sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def _hash_of(db: Database, seq: int) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT hash FROM audit_records WHERE seq=:s"), {"s": seq}).scalar_one())


def test_checkpoints_anchor_the_chain_and_report_what_follows(anchored, tmp_path):
    db, log, directory, _key = anchored
    verdict = verify_with_checkpoints(log, directory)
    assert verdict.ok and (verdict.checkpoints, verdict.anchored_seq, verdict.after) == (2, 6, 0)
    log.append(_entry(7))
    log.append(_entry(8))
    verdict = verify_with_checkpoints(log, directory)
    assert verdict.ok and (verdict.anchored_seq, verdict.records, verdict.after) == (6, 8, 2)
    body = json.loads((directory / "00000002.json").read_text())["body"]
    assert (body["number"], body["seq"], body["hash"]) == (2, 6, _hash_of(db, 6))
    assert len(body["previous"]) == 64 and body["previous"] != GENESIS and body["time"]
    assert stat.S_IMODE((tmp_path / "keys" / "audit-signing.key").stat().st_mode) == 0o600
    assert "PRIVATE" not in (directory / PUBLIC_KEY_FILE).read_text()


def test_tail_deleted_together_with_the_head(anchored):
    db, log, directory, _ = anchored
    _sql(db, "DELETE FROM audit_records WHERE seq > 4")
    _sql(db, "UPDATE audit_head SET seq=4, hash=:h WHERE id=1", h=_hash_of(db, 4))
    assert log.verify().ok  # consistent: the chain alone cannot tell
    verdict = verify_with_checkpoints(log, directory)
    assert not verdict.ok and "anchors record 6" in verdict.problem


def test_head_row_deleted(anchored):
    db, log, directory, _ = anchored
    _sql(db, "DELETE FROM audit_records WHERE seq > 4")
    _sql(db, "DELETE FROM audit_head")
    result = log.verify()
    assert not result.ok and "head row is missing" in result.problem
    assert not verify_with_checkpoints(log, directory).ok


def test_everything_wiped(anchored):
    db, log, directory, _ = anchored
    _sql(db, "DELETE FROM audit_records")
    _sql(db, "UPDATE audit_head SET seq=0, hash=:h WHERE id=1", h=GENESIS)
    assert log.verify().ok and log.verify().records == 0
    verdict = verify_with_checkpoints(log, directory)
    assert not verdict.ok and verdict.records == 0


@pytest.mark.parametrize("start", [2, 5])
def test_consistent_rehash_from_some_record(anchored, start):
    """Edit record ``start`` and recompute every hash and link after it, head included."""
    db, log, directory, _ = anchored
    with db.session() as session:
        prev = None
        for seq in range(start, 7):
            rec = session.get(AuditRecord, seq)
            assert rec is not None
            if seq == start:
                rec.decision = "needs_approval"
            if prev is not None:
                rec.prev_hash = prev
            rec.hash = record_hash({k: getattr(rec, k) for k in HASHED_FIELDS})
            prev = rec.hash
            session.flush()
        session.execute(text("UPDATE audit_head SET hash=:h WHERE id=1"), {"h": prev})
    assert log.verify().ok
    verdict = verify_with_checkpoints(log, directory)
    first_anchor = 4 if start <= 4 else 6
    assert not verdict.ok and f"record {first_anchor} is not the one checkpointed" in verdict.problem


def test_edited_or_deleted_checkpoint_files(anchored):
    _, log, directory, _ = anchored
    first = directory / "00000001.json"
    doc = json.loads(first.read_text())
    doc["body"]["seq"] = 3
    original = first.read_bytes()
    first.write_text(json.dumps(doc))
    verdict = verify_with_checkpoints(log, directory)
    assert not verdict.ok and "signature does not verify" in verdict.problem
    first.write_bytes(original)
    assert verify_with_checkpoints(log, directory).ok
    first.unlink()
    verdict = verify_with_checkpoints(log, directory)
    assert not verdict.ok and "checkpoint 1 is missing" in verdict.problem


def test_resigned_with_another_key_is_refused_by_the_trusted_key(anchored, tmp_path):
    """An attacker who rewrites the chain also re-signs fresh checkpoints with their own key."""
    db, log, _directory, key = anchored
    _sql(db, "DELETE FROM audit_records WHERE seq > 4")
    _sql(db, "UPDATE audit_head SET seq=4, hash=:h WHERE id=1", h=_hash_of(db, 4))
    forged = tmp_path / "forged"
    write_checkpoint(log, forged, Ed25519PrivateKey.generate())
    assert verify_with_checkpoints(log, forged).ok  # self-consistent on its own
    assert not verify_with_checkpoints(log, forged, key.public_key()).ok  # not with the real key
    with pytest.raises(CheckpointError, match="another key"):
        write_checkpoint(log, forged, key)


def test_checkpoint_files_are_never_overwritten_and_a_broken_chain_is_not_checkpointed(anchored):
    db, log, directory, key = anchored
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    write_checkpoint(log, directory, key)
    after = {p.name: p.read_bytes() for p in directory.iterdir()}
    assert {k: after[k] for k in before} == before and "00000003.json" in after
    _sql(db, "UPDATE audit_records SET decision='deny' WHERE seq=2")
    with pytest.raises(CheckpointError, match="broken chain"):
        write_checkpoint(log, directory, key)
    assert sorted(p.name for p in directory.glob("*.json")) == [
        "00000001.json",
        "00000002.json",
        "00000003.json",
    ]


# --- the CLI ---------------------------------------------------------------------------------------


def _cli(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "referent")
    env = {**os.environ, "REFERENT_STATE_DIR": str(state)}
    env.pop("REFERENT_DATABASE_URL", None)
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, env=env)


def test_cli_verify_refuses_a_missing_database_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo" / "referent.db"
    out = _cli("audit", "verify", "--db", f"sqlite:///{missing}", state=tmp_path)
    assert out.returncode == 2 and "no state database" in out.stderr and "intact" not in out.stdout
    assert not missing.exists() and not missing.parent.exists()
    out = _cli("audit", "checkpoint", "--db", f"sqlite:///{missing}", state=tmp_path)
    assert out.returncode == 2 and not missing.exists()


def test_cli_checkpoint_then_verify_catches_the_tamper(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    db = Database(url)
    log = AuditLog(db)
    for i in range(1, 6):
        log.append(_entry(i))
    out = _cli("audit", "checkpoint", "--db", url, state=tmp_path)
    assert out.returncode == 0, out.stderr
    directory = tmp_path / "audit-checkpoints"
    assert (directory / "00000001.json").exists() and (tmp_path / "audit-signing.key").exists()
    log.append(_entry(6))
    ok = _cli("audit", "verify", "--db", url, "--checkpoints", str(directory), state=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (
        "records 1..5 match checkpoint 1" in ok.stdout
        and "1 later records verify but are not anchored" in ok.stdout
    )
    _sql(db, "DELETE FROM audit_records")
    _sql(db, "UPDATE audit_head SET seq=0, hash=:h WHERE id=1", h=GENESIS)
    assert _cli("audit", "verify", "--db", url, state=tmp_path).returncode == 0  # plain verify is fooled
    bad = _cli("audit", "verify", "--db", url, "--checkpoints", str(directory), state=tmp_path)
    assert bad.returncode == 1 and "BROKEN" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = _cli("audit", "verify", "--db", url, "--checkpoints", str(empty), state=tmp_path)
    assert none.returncode == 1 and "no checkpoints" in none.stderr
    db.dispose()
