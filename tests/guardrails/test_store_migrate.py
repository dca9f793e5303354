"""Opening the store migrates it: on an empty database, from several processes at once, and on SQLite
with private file modes."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from guardrails.store.db import Database, StoreError

OPEN = "import sys; from guardrails.store.db import Database; Database(sys.argv[1]).dispose()"


@pytest.mark.integration
def test_replicas_starting_together_on_a_fresh_postgresql_all_come_up(postgres_server: Any) -> None:
    url = str(postgres_server.new_database())
    procs = [
        subprocess.Popen([sys.executable, "-c", OPEN, url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    db = Database(url)
    try:
        assert {"audit_records", "audit_head", "approvals", "pseudonyms"} <= set(
            inspect(db.engine).get_table_names()
        )
    finally:
        db.dispose()


def test_a_new_sqlite_store_is_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "referent.db"
    Database(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_open_existing_refuses_a_missing_database_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "referent.db"
    with pytest.raises(StoreError, match="no state database"):
        Database.open_existing(f"sqlite:///{path}")
    assert not path.parent.exists()


def test_an_unsupported_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database URL") as caught:
        Database("nosuchdb://user:hunter2@host/db")
    assert "hunter2" not in str(caught.value)
