"""The audit chain detects edited, deleted and reordered records; the CLI reports them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from guardrails.audit import AuditEntry, AuditLog
from guardrails.store.db import Database


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        principal="agent:triage",
        run_id="run-a",
        kind="tool",
        tool="prometheus.query",
        action="read",
        environment="production",
        arguments={"query": f'up{{i="{i}"}}'},
        decision="allow",
        outcome="ok",
        result_digest="0" * 64,
        latency_ms=1.5 + i,
    )


@pytest.fixture
def chain(state_db_url):
    db = Database(state_db_url)
    db.migrate()
    log = AuditLog(db)
    for i in range(6):
        log.append(_entry(i))
    return db, log


def _exec(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def test_intact_chain_verifies(chain):
    _, log = chain
    result = log.verify()
    assert result.ok and result.records == 6


def test_edited_record_is_named(chain):
    db, log = chain
    _exec(db, "UPDATE audit_records SET decision='deny' WHERE seq=3")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and "edited" in result.problem


def test_edited_and_rehashed_record_breaks_the_next_link(chain):
    from guardrails.audit import HASHED_FIELDS, AuditRecord, record_hash

    db, log = chain
    with db.session() as s:
        rec = s.get(AuditRecord, 3)
        rec.principal = "agent:promotion"
        rec.hash = record_hash({k: getattr(rec, k) for k in HASHED_FIELDS})
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4


def test_deleted_record_is_named(chain):
    db, log = chain
    _exec(db, "DELETE FROM audit_records WHERE seq=4")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4 and "deleted" in result.problem


def test_deleted_tail_is_detected(chain):
    db, log = chain
    _exec(db, "DELETE FROM audit_records WHERE seq=6")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 6


def test_reordered_records_are_named(chain):
    db, log = chain
    # swap the contents of records 2 and 5 (keeping their sequence numbers)
    cols = (
        "ts, principal, run_id, kind, tool, action, environment, arguments, result_digest, decision, reason, "
        "approver, approval_id, outcome, latency_ms, tokens, cost_usd, prev_hash, hash"
    )
    _exec(db, "UPDATE audit_records SET seq = -2 WHERE seq = 2")
    _exec(db, "UPDATE audit_records SET seq = 2 WHERE seq = 5")
    _exec(db, "UPDATE audit_records SET seq = 5 WHERE seq = -2")
    assert cols  # the swap moves whole rows
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2


def _cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "referent")
    return subprocess.run([exe, *args, "--db", db_url], capture_output=True, text=True, timeout=120)


def test_cli_verify_exit_codes(chain):
    db, _ = chain
    ok = _cli("audit", "verify", db_url=db.url)
    assert ok.returncode == 0, ok.stderr
    assert "6 records" in ok.stdout
    _exec(db, "UPDATE audit_records SET arguments='{}' WHERE seq=2")
    bad = _cli("audit", "verify", db_url=db.url)
    assert bad.returncode == 1
    assert "record 2" in bad.stderr


def test_cli_tail(chain):
    db, _ = chain
    out = _cli("audit", "tail", "-n", "2", db_url=db.url)
    assert out.returncode == 0 and len(out.stdout.strip().splitlines()) == 2


def test_cli_bad_db_url_exits_2(tmp_path):
    out = _cli("audit", "verify", db_url="notaurl://")
    assert out.returncode == 2 and "error" in out.stderr


def test_concurrent_appends_form_one_chain(state_db_url):
    """Threads over two engines (two replicas' connection pools) append to one chain without gaps or forks."""
    from concurrent.futures import ThreadPoolExecutor

    url = state_db_url
    db = Database(url)
    db.migrate()
    log, other = AuditLog(db), AuditLog(Database(url))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: (log if i % 2 else other).append(_entry(i)), range(60)))
    result = log.verify()
    assert result.ok and result.records == 60
