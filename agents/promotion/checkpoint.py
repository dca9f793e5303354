"""The durable checkpointer a promotion run waits in while a human decides.

A production promotion interrupts the graph until an approver answers; the state must survive the
process (the CLI exits, the approver answers an hour later, ``referent promote --resume RUN_ID`` runs
in a new process, possibly on another replica). :func:`checkpointer` picks the store from the settings:

- state in **PostgreSQL** (``REFERENT_DATABASE_URL=postgresql://…``): LangGraph's ``PostgresSaver`` on
  the same database, so any replica or worker can resume any run;
- state in **SQLite** (the default): ``<REFERENT_STATE_DIR>/checkpoints.sqlite`` next to it.

Any ``BaseCheckpointSaver`` works: :func:`agents.promotion.run.run_promotion` takes it as an argument.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from guardrails.settings import GuardrailSettings
from guardrails.store.db import postgres_conninfo

CHECKPOINT_FILE = "checkpoints.sqlite"


def checkpoint_path(state_dir: Path) -> Path:
    """Where the SQLite checkpoints of ``state_dir`` live."""
    return Path(state_dir) / CHECKPOINT_FILE


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """A ``SqliteSaver`` on ``path`` (created with its tables if missing), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@contextmanager
def checkpointer(settings: GuardrailSettings) -> Iterator[BaseCheckpointSaver[str]]:
    """The durable checkpointer of the state store in ``settings`` (tables created if missing)."""
    conninfo = postgres_conninfo(settings.db_url)
    if conninfo is None:
        with sqlite_checkpointer(checkpoint_path(settings.state_dir)) as saver:
            yield saver
        return
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(conninfo) as pg_saver:
        pg_saver.setup()
        yield pg_saver
