"""The audit chain under load: appends from many threads and processes while it is verified and checkpointed.

What an alert storm does to a running service (DBOS workers appending a record per gateway call, the
scheduled checkpoint verifying the chain meanwhile). Every verify taken during the appends must pass —
it reads records and head from one snapshot, so a record committed while it reads is not mistaken for a
deleted tail — every checkpoint must be written and none may anchor an older record than the one before
it, and afterwards ``referent audit verify --checkpoints`` must pass over exactly the records appended.
On SQLite and (integration) PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardrails.audit import AuditEntry, AuditLog
from guardrails.checkpoints import read_checkpoints, signing_key, verify_with_checkpoints, write_checkpoint
from guardrails.store.db import Database

ROOT = Path(__file__).resolve().parents[2]


def _entry(writer: str, i: int) -> AuditEntry:
    return AuditEntry(
        principal=f"agent:{writer}",
        run_id=f"run-{writer}",
        kind="tool",
        tool="prometheus.query",
        action="read",
        environment="production",
        arguments={"query": f"rate(http_requests_total[5m]) > {i}"},
        decision="allow",
        outcome="ok",
        latency_ms=1.5 + i,
    )


def _until(done: threading.Event | Callable[[], bool], step: Callable[[], None]) -> int:
    """Run ``step`` over and over until ``done``; how many times it ran (at least once after ``done``)."""
    finished = done.is_set if isinstance(done, threading.Event) else done
    count = 0
    while True:
        last = finished()
        step()
        count += 1
        if last:
            return count


def _check_checkpoints(directory: Path, written: int, records: int) -> None:
    checkpoints = read_checkpoints(directory)  # numbered 1..N, linked, none going back in the chain
    assert len(checkpoints) == written
    assert checkpoints[-1].seq == records  # the last one, taken after every append, anchors the end


def _cli_verify(url: str, directory: Path, state: Path) -> subprocess.CompletedProcess[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "referent")
    env = {**os.environ, "REFERENT_STATE_DIR": str(state)}
    env.pop("REFERENT_DATABASE_URL", None)
    args = [exe, "audit", "verify", "--db", url, "--checkpoints", str(directory)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def test_threads_append_while_the_chain_is_verified_and_checkpointed(state_db_url, tmp_path):
    """Six appender threads over two engines (two replicas' pools); verify and two checkpointers meanwhile."""
    url = state_db_url
    first, second = Database(url), Database(url)
    key, directory = signing_key(tmp_path / "audit-signing.key"), tmp_path / "audit-checkpoints"
    writers, per_writer = 6, 60
    appended = threading.Event()
    problems: list[str] = []
    checkpoints_written = [0]
    lock = threading.Lock()

    def append(w: int) -> None:
        log = AuditLog(first if w % 2 else second)
        for i in range(per_writer):
            log.append(_entry(f"w{w}", i))

    def verify() -> None:
        result = AuditLog(first).verify()
        if not result.ok:
            problems.append(f"verify: record {result.first_bad_seq}: {result.problem}")

    def checkpoint(db: Database) -> Callable[[], None]:
        def step() -> None:
            try:
                write_checkpoint(AuditLog(db), directory, key)
            except Exception as exc:
                problems.append(f"checkpoint: {exc}")
                return
            with lock:
                checkpoints_written[0] += 1

        return step

    threads = [threading.Thread(target=append, args=(w,)) for w in range(writers)]
    readers = [
        threading.Thread(target=_until, args=(appended, verify)),
        threading.Thread(target=_until, args=(appended, checkpoint(first))),
        threading.Thread(target=_until, args=(appended, checkpoint(second))),
    ]
    try:
        for t in readers + threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        appended.set()
        for t in readers:
            t.join(timeout=300)
        assert problems == []
        records = writers * per_writer
        verdict = verify_with_checkpoints(AuditLog(first), directory)
        assert verdict.ok and verdict.records == records and verdict.after == 0, verdict.problem
        assert checkpoints_written[0] >= 2
        _check_checkpoints(directory, checkpoints_written[0], records)
        out = _cli_verify(url, directory, tmp_path)
        assert out.returncode == 0 and f"records 1..{records} match" in out.stdout, out.stdout + out.stderr
    finally:
        first.dispose()
        second.dispose()


# Run in another interpreter: append ``n`` records, a checkpoint after every ``every``; print how many.
_PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from guardrails.audit import AuditEntry, AuditLog
    from guardrails.checkpoints import signing_key, write_checkpoint
    from guardrails.store.db import Database

    url, directory, key_file, go, name, n, every = sys.argv[1:8]
    log = AuditLog(Database(url))
    key = signing_key(Path(key_file))
    while not Path(go).exists():
        time.sleep(0.01)
    written = 0
    for i in range(int(n)):
        log.append(AuditEntry(principal="agent:" + name, run_id="run-" + name, kind="llm", tool="llm.chat",
                              action="read", environment="production", arguments={"turn": i},
                              decision="allow", outcome="ok", tokens=100 + i, cost_usd=0.0001 * i))
        if (i + 1) % int(every) == 0:
            write_checkpoint(log, Path(directory), key)
            written += 1
    print(written)
    """
)


def test_two_processes_append_and_checkpoint_while_a_third_verifies(state_db_url, tmp_path):
    """Two processes on one store append and checkpoint; this one verifies and checkpoints meanwhile."""
    url = state_db_url
    db = Database(url)  # migrated before the processes open it
    key_file, directory, go = tmp_path / "audit-signing.key", tmp_path / "audit-checkpoints", tmp_path / "go"
    key = signing_key(key_file)
    per_process, every = 150, 30
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def argv(name: str) -> list[str]:
        files = (str(directory), str(key_file), str(go))
        return [sys.executable, "-c", _PROCESS, url, *files, name, str(per_process), str(every)]

    procs = [
        subprocess.Popen(
            argv(name),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for name in ("replica-a", "replica-b")
    ]
    log = AuditLog(db)
    problems: list[str] = []
    mine = [0]

    def verify_and_checkpoint() -> None:
        result = log.verify()
        if not result.ok:
            problems.append(f"verify: record {result.first_bad_seq}: {result.problem}")
        if result.records and not problems:
            write_checkpoint(log, directory, key)
            mine[0] += 1
        time.sleep(0.05)

    try:
        time.sleep(0.5)  # let both interpreters import before they start together
        go.touch()
        verifies = _until(lambda: all(p.poll() is not None for p in procs), verify_and_checkpoint)
        outputs = [p.communicate(timeout=60) for p in procs]
        for p, (_, err) in zip(procs, outputs, strict=True):
            assert p.returncode == 0, err
        assert problems == [] and verifies >= 2
        theirs = sum(int(out.strip()) for out, _ in outputs)
        assert theirs == 2 * (per_process // every)
        records = 2 * per_process
        _check_checkpoints(directory, theirs + mine[0], records)
        verdict = verify_with_checkpoints(log, directory)
        assert verdict.ok and verdict.records == records, verdict.problem
        assert _per_writer_counts(log, records) == {
            "agent:replica-a": per_process,
            "agent:replica-b": per_process,
        }
        out = _cli_verify(url, directory, tmp_path)
        assert out.returncode == 0 and f"records 1..{records} match" in out.stdout, out.stdout + out.stderr
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        db.dispose()


def _per_writer_counts(log: AuditLog, records: int) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for rec in log.tail(limit=records + 1):
        counts[rec.principal] = counts.get(rec.principal, 0) + 1
    return counts
