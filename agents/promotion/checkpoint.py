"""The durable checkpointer a promotion run waits in while a human decides.

A production promotion interrupts the graph until an approver answers; the state must survive the
process (the CLI exits, the approver answers an hour later, ``referent promote --resume RUN_ID`` runs
in a new process). Single-machine installs keep checkpoints in SQLite next to the state database:
``<REFERENT_STATE_DIR>/checkpoints.sqlite``.

For production (several API replicas / workers), use LangGraph's Postgres saver on the same
PostgreSQL as the state store (``pip install langgraph-checkpoint-postgres``)::

    from langgraph.checkpoint.postgres import PostgresSaver
    with PostgresSaver.from_conn_string("postgresql://referent@db/referent") as saver:
        saver.setup()  # once, creates the checkpoint tables
        graph = build_graph(deps, checkpointer=saver, ...)

Any ``BaseCheckpointSaver`` works: :func:`agents.promotion.run.run_promotion` takes it as an argument.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

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
