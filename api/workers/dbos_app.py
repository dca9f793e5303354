"""DBOS configuration and launch for the service: one DBOS instance per process.

The system database is PostgreSQL when the state database is (``REFERENT_DATABASE_URL``; DBOS keeps its
tables in the ``dbos`` schema), else a SQLite file beside the state (``<state_dir>/dbos.sqlite``).

Roles of a process (``referent serve``):

* ``both`` (default): serves the API and runs the queued workflows;
* ``api``: enqueues only (listens to no queue), so it never runs a triage;
* ``workers``: runs the queued workflows and the schedules (the FinOps report, audit checkpoints).

Every process of one deployment runs the same code, hence the same DBOS application version, so any
worker may run what any API process enqueued. ``REFERENT_EXECUTOR_ID`` names the process for DBOS's
recovery: a restarted process with the same id resumes the workflows it had started (default
``local``); give each worker of a scale-out its own id.

DBOS is a process-wide singleton, so the workflows reach the ``Services`` through :func:`services`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import uuid
from typing import TYPE_CHECKING, Any, Literal

from dbos import DBOS, DBOSConfig, Queue

if TYPE_CHECKING:
    from api.service.services import Services

log = logging.getLogger("referent.workers")

Role = Literal["both", "api", "workers"]
TRIAGE_QUEUE = "referent-triage"

_lock = threading.Lock()
_services: Services | None = None
_role: Role | None = None
_queue: Queue | None = None
_users = 0


def system_database_url(services: Services) -> str:
    """Where DBOS keeps workflows: the state database on PostgreSQL, else a SQLite file beside it."""
    guard = services.runtime.settings
    url = guard.db_url
    if url.startswith(("postgresql", "postgres")):
        return url
    state = guard.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / 'dbos.sqlite'}"


def sqlite_engine(url: str, synchronous: str = "NORMAL") -> Any:
    """DBOS's SQLite engine with write-ahead logging (DBOS's own engine uses the rollback journal).

    ``synchronous=NORMAL`` (the default, as the state store uses): a commit survives a crash or
    ``kill -9`` of the process; an OS crash or power loss may drop the last commits. ``FULL``
    (``REFERENT_SQLITE_SYNCHRONOUS=FULL``) also survives power loss at one WAL fsync per commit.
    PostgreSQL (production) commits durably either way. Writers take the lock at ``BEGIN``
    (``IMMEDIATE``), as DBOS's engine does.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(url, pool_size=20, max_overflow=20, pool_timeout=30)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    return engine


def import_worker_modules() -> list[str]:
    """Import every module of ``api.workers`` so their workflows register before launch."""
    import api.workers as package

    names = []
    for info in pkgutil.iter_modules(package.__path__, prefix="api.workers."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def _executor_id(services: Services, role: Role) -> str:
    """The configured id; an API-only process gets a fresh one (it runs nothing, so recovers nothing)."""
    if role == "api":
        return f"{services.settings.executor_id}-api-{uuid.uuid4().hex[:8]}"
    return services.settings.executor_id


def launch(services: Services, *, role: Role = "both", executor_id: str | None = None) -> None:
    """Configure and launch DBOS for this process (counted: each launch needs one :func:`shutdown`).

    A second launch in the same process (two apps in one test) shares the first one's DBOS and services.

    Args:
        services: what the workflows use (runtime, stores, settings).
        role: ``api`` listens to no queue; ``workers`` and ``both`` run queued workflows.
        executor_id: DBOS executor id (recovery key); default ``local`` (or ``api-…`` for ``api``).
    """
    global _services, _role, _queue, _users
    with _lock:
        _users += 1
        if _services is not None:  # a second app in this process shares the launched DBOS
            return
        import_worker_modules()
        url = system_database_url(services)
        config: DBOSConfig = {
            "name": "referent",
            "system_database_url": url,
            "executor_id": executor_id or _executor_id(services, role),
            "log_level": "WARNING",
            "notification_listener_polling_interval_sec": 0.2,
        }
        if url.startswith("sqlite"):
            config["system_database_engine"] = sqlite_engine(url, services.settings.sqlite_synchronous)
        DBOS(config=config)
        if role == "api":
            DBOS.listen_queues([])
        _services, _role = services, role
        DBOS.launch()
        _queue = DBOS.register_queue(
            TRIAGE_QUEUE, worker_concurrency=services.settings.triage_concurrency, polling_interval_sec=0.2
        )
        if role != "api":  # schedules: create-or-replace, the same on every replica; a bad cron refuses start
            try:
                _install_schedules(services)
            except BaseException:  # a refused start leaves nothing launched behind
                DBOS.destroy(destroy_registry=False)
                _services, _role, _queue, _users = None, None, None, _users - 1
                raise


def apply_schedule(name: str, workflow: Any, cron: str, setting: str) -> None:
    """Create or replace the cron schedule ``name`` running ``workflow`` (after launch; the same on every
    replica, and DBOS starts each tick once: workflow id = schedule + tick time).

    Raises:
        ValueError: ``cron`` is not a valid expression (named by its ``setting``).
    """
    from dbos._error import DBOSException

    schedule = {"schedule_name": name, "workflow_fn": workflow, "schedule": cron, "context": None}
    try:
        DBOS.apply_schedules([schedule])  # type: ignore[list-item]
    except DBOSException as exc:
        raise ValueError(f"{setting} {cron!r}: {exc}") from None


def _install_schedules(services: Services) -> None:
    from api.workers import audit_checkpoints, finops

    finops.install_schedule(services)
    audit_checkpoints.install_schedule(services)


def shutdown() -> None:
    """Stop DBOS in this process once its last user stops (workflows in flight resume on the next launch)."""
    global _services, _role, _queue, _users
    with _lock:
        _users = max(0, _users - 1)
        if _services is None or _users > 0:
            return
        DBOS.destroy(destroy_registry=False)
        _services, _role, _queue = None, None, None


def services() -> Services:
    """The services of this process (set by :func:`launch`)."""
    if _services is None:
        raise RuntimeError("DBOS is not launched in this process (api.workers.dbos_app.launch)")
    return _services


def triage_queue() -> Queue:
    """The triage queue (registered at launch)."""
    if _queue is None:
        raise RuntimeError("DBOS is not launched in this process (api.workers.dbos_app.launch)")
    return _queue


def launched() -> bool:
    return _services is not None


def queue_depth() -> int | None:
    """Triage workflows enqueued or running (None when DBOS is not launched here)."""
    if _services is None:
        return None
    try:
        queued = DBOS.list_queued_workflows(
            queue_name=TRIAGE_QUEUE, load_input=False, load_output=False, status=["ENQUEUED", "PENDING"]
        )
    except Exception as exc:  # a metrics scrape must not fail
        log.warning("queue depth unavailable: %s", type(exc).__name__)
        return None
    return len(queued)
