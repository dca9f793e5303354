"""A throwaway PostgreSQL cluster: the state store of a multi-replica install, for tests and local trials.

Referent keeps its state (audit chain, approvals, pseudonym vault, reports, promotion checkpoints) in
SQLite by default and in PostgreSQL when ``REFERENT_DATABASE_URL`` points at one. This module starts a
real ``postgres`` from the Debian package (``initdb`` + ``postgres`` in a process group) so the
PostgreSQL path is exercised for real: row locks, concurrent writers, LangGraph's Postgres saver.

PostgreSQL refuses to run as root; as root the cluster runs as the ``postgres`` system user (``runuser``),
so its directory must be reachable by that user (the caller passes one under ``/tmp``, not a 0700 tree).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from evals.sandbox import processes
from evals.sandbox.processes import SandboxError, ServerProcess

SUPERUSER = "referent"


def postgres_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (``initdb``, ``postgres``): on PATH or the newest Debian one."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise SandboxError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return found


def _as_server_user(directory: Path) -> list[str]:
    """The command prefix that runs a server binary as a non-root user (and hands it ``directory``)."""
    if os.geteuid() != 0:
        return []
    shutil.chown(directory, user="postgres", group="postgres")
    for path in directory.rglob("*"):
        shutil.chown(path, user="postgres", group="postgres")
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    """A running cluster: ``url(database)`` for SQLAlchemy, ``new_database()`` for an isolated test."""

    process: ServerProcess
    port: int

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database with a fresh name; its SQLAlchemy URL."""
        import psycopg

        name = f"referent_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        processes.stop(self.process, grace_s=10.0)


def start_postgres(directory: Path, *, port: int | None = None, timeout_s: float = 60.0) -> PostgresServer:
    """Initialise (once) and start a cluster in ``directory``; trust auth, TCP on 127.0.0.1 only."""
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    prefix = _as_server_user(directory)
    if not (data / "PG_VERSION").exists():
        argv = [
            *prefix,
            postgres_bin("initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
        ]
        done = subprocess.run([*argv, "--no-locale"], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SandboxError(f"initdb failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    port = port or processes.free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",
        "fsync": "off",  # a throwaway cluster: speed over crash safety
        "synchronous_commit": "off",
        "max_connections": "100",
    }
    options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
    argv = [*prefix, postgres_bin("postgres"), "-D", str(data), "-p", str(port), *options]
    proc = processes.start("postgres", argv, port=port, log_dir=directory)
    server = PostgresServer(proc, port)
    _wait_ready(server, timeout_s)
    return server


def _wait_ready(server: PostgresServer, timeout_s: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if not server.process.alive():
            raise SandboxError(f"postgres exited during start-up:\n{processes.log_tail(server.process.log)}")
        try:
            with psycopg.connect(server.url(driver="postgresql"), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        time.sleep(0.3)
    server.stop()
    raise SandboxError(
        f"postgres not ready after {timeout_s:.0f}s ({last})\n{processes.log_tail(server.process.log)}"
    )
