"""The intake's batch enqueue writes what DBOS itself writes (api/service/enqueue.py).

The rows go to a queue no worker listens to, so they stay as written while the test reads them.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from api.service.enqueue import StatusTemplates, insert_enqueued
from api.workers.triage import resolve_workflow, triage_workflow

QUEUE = "test-intake-unlistened"
# differ by construction: the ids, and the insert times of two separate calls
VOLATILE = {"workflow_uuid", "created_at", "updated_at", "retention_timestamp"}


def _dbos() -> Any:
    from dbos._dbos import _get_dbos_instance

    return _get_dbos_instance()


def _args(i: int) -> list[tuple[Any, tuple[Any, ...]]]:
    alert = {"labels": {"alertname": f"A{i}", "pod": f"scorer-{i}"}, "annotations": {"summary": "ü ✓"}}
    return [
        (triage_workflow, (f"inc-{i}", alert)),
        (resolve_workflow, (f"inc-{i}", None)),
        (resolve_workflow, (f"inc-{i}", "2026-12-06T01:00:00+00:00")),
    ]


def _rows(sys_db: Any, table: Any, ids: list[str]) -> list[dict[str, Any]]:
    with sys_db.engine.connect() as conn:
        found = conn.execute(sa.select(table).where(table.c.workflow_uuid.in_(ids))).mappings().all()
    by_id = {row["workflow_uuid"]: dict(row) for row in found}
    return [by_id[i] for i in ids]


def test_status_templates_build_what_prepare_enqueued_workflow_builds(service):
    from dbos._core import prepare_enqueued_workflow

    dbos, templates = _dbos(), StatusTemplates()
    for i in range(3):  # the first call per function builds the template, the next ones copy it
        for func, args in _args(i):
            wid = f"tpl-{func.__name__}-{i}-{args[1]}"
            ours = templates.status(dbos, func, args, queue=QUEUE, workflow_id=wid)
            assert ours == prepare_enqueued_workflow(dbos, func, args, {}, queue_name=QUEUE, workflow_id=wid)


def test_insert_enqueued_writes_the_rows_init_workflows_writes_and_keeps_existing_ids(service):
    from dbos import DBOS

    dbos, templates = _dbos(), StatusTemplates()
    sys_db = dbos._sys_db
    calls = [c for i in range(4) for c in _args(i)]
    ours = [
        templates.status(dbos, f, a, queue=QUEUE, workflow_id=f"ours-{n}") for n, (f, a) in enumerate(calls)
    ]
    theirs = [
        templates.status(dbos, f, a, queue=QUEUE, workflow_id=f"theirs-{n}") for n, (f, a) in enumerate(calls)
    ]
    insert_enqueued(sys_db, ours)
    sys_db.init_workflows(theirs)
    for table in (sys_db.tables.workflow_status, sys_db.tables.workflow_input):
        mine = _rows(sys_db, table, [s["workflow_uuid"] for s in ours])
        dbos_rows = _rows(sys_db, table, [s["workflow_uuid"] for s in theirs])
        for a, b in zip(mine, dbos_rows, strict=True):
            assert {k: v for k, v in a.items() if k not in VOLATILE} == {
                k: v for k, v in b.items() if k not in VOLATILE
            }
    listed = {w.workflow_id: w for w in DBOS.list_workflows(queue_name=QUEUE)}
    assert all(listed[s["workflow_uuid"]].status == "ENQUEUED" for s in ours)

    # an id enqueued again keeps its first row and inputs (a repeat delivery, another replica)
    first = _rows(sys_db, sys_db.tables.workflow_input, ["ours-0"])
    again = templates.status(dbos, triage_workflow, ("inc-other", {}), queue=QUEUE, workflow_id="ours-0")
    insert_enqueued(sys_db, [again])
    assert _rows(sys_db, sys_db.tables.workflow_input, ["ours-0"]) == first


def test_insert_enqueued_refuses_what_needs_dbos_ordering_rules(service):
    dbos = _dbos()
    status = StatusTemplates().status(dbos, resolve_workflow, ("inc-x", None), queue=QUEUE, workflow_id="x")
    for change in ({"deduplication_id": "d"}, {"queue_partition_key": "k"}, {"status": "PENDING"}):
        with pytest.raises(ValueError, match="not a plain ENQUEUED"):
            insert_enqueued(dbos._sys_db, [{**status, **change}])
    insert_enqueued(dbos._sys_db, [])  # nothing to do
