"""Engine, sessions and schema migration for Referent's state.

All tables share one declarative :class:`Base` so one Alembic history covers them. ``Database``
wraps an engine, and opening one is the single place the schema is brought to the latest Alembic
revision (``alembic upgrade head``, once per URL and process): every entry point that opens the store
gets the tables it needs. :meth:`Database.open_existing` is the other door, for readers that must not
create anything (``audit verify``): it refuses a missing database and opens SQLite read-only.

A local SQLite store lives in a directory created ``0700``; the database file is ``0600``.

Errors::

    StoreError (ValueError)      bad URL, unsupported driver, unreachable or missing database
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATED: set[str] = set()  # URLs already brought to head in this process
_MIGRATE_LOCK = threading.Lock()


class StoreError(ValueError):
    """The state store cannot be opened: bad or unsupported URL, unreachable or missing database."""


class Base(DeclarativeBase):
    """Declarative base of every Referent table."""


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(
        "PRAGMA synchronous=NORMAL"
    )  # WAL + NORMAL: durable across app crashes, one fsync per checkpoint
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_pragmas_ro(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _safe_url(url: str) -> str:
    """A URL fit for an error message: the password masked."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def sqlalchemy_url(url: str) -> str:
    """``url`` with a driver SQLAlchemy can load: plain ``postgres(ql)://`` URLs use psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def postgres_conninfo(url: str) -> str | None:
    """The libpq connection string of a PostgreSQL URL (for psycopg-based tools), None for another database."""
    url = sqlalchemy_url(url)
    return (
        "postgresql://" + url.removeprefix("postgresql+psycopg://")
        if url.startswith("postgresql+psycopg://")
        else None
    )


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for in-memory or another database)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def _private_file(path: Path) -> None:
    """Create ``path``'s directory 0700 (when new) and the file itself 0600, before SQLite opens it."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class Database:
    """An engine plus a session factory for one database URL (SQLite file or PostgreSQL).

    Opening it migrates the schema to head (once per URL and process) unless ``migrate=False``.
    """

    def __init__(
        self, url: str, *, echo: bool = False, migrate: bool = True, read_only: bool = False
    ) -> None:
        url = sqlalchemy_url(url)
        self.url = url
        path = sqlite_path(url)
        engine_url = url
        if path is not None and read_only:
            engine_url = f"sqlite:///file:{path}?mode=ro&uri=true"
        elif path is not None:
            _private_file(path)
        try:
            self.engine: Engine = create_engine(
                engine_url, echo=echo, pool_pre_ping=not url.startswith("sqlite")
            )
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"unsupported database URL {_safe_url(url)}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas_ro if read_only else _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate and not read_only:
            self.migrate()

    @classmethod
    def open_existing(cls, url: str) -> Database:
        """Open a store that must already exist, without creating or migrating anything.

        SQLite opens read-only; a missing file is refused. PostgreSQL must be reachable.
        """
        url = sqlalchemy_url(url)
        path = sqlite_path(url)
        if path is not None and not path.is_file():
            raise StoreError(f"no state database at {path}")
        db = cls(url, migrate=False, read_only=True)
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            db.dispose()
            raise StoreError(f"cannot open database {_safe_url(url)}: {type(exc).__name__}") from None
        return db

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def serialize(self, session: Session, key: str, table: str) -> None:
        """Hold a write lock for ``key`` until ``session``'s transaction ends; call it first in the transaction.

        For read-then-insert allocations (the next token number of a scope) that several replicas and
        threads run at once. PostgreSQL: an advisory lock on ``key``. SQLite: the database write lock,
        taken by a no-op write on ``table`` so that the reads after it already see every earlier writer.
        """
        if self.engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        elif self.engine.dialect.name == "sqlite":
            session.execute(text(f'DELETE FROM "{table}" WHERE 1 = 0'))

    def migrate(self) -> None:
        """Upgrade the schema to the latest Alembic revision (once per URL in this process)."""
        from alembic import command
        from alembic.config import Config

        with _MIGRATE_LOCK:
            if self.url in _MIGRATED and not self.url.startswith("sqlite:///:memory:"):
                return
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
            try:
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":  # replicas starting together: one migrates
                        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('referent-migrate'))"))
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
            except OperationalError as exc:
                raise StoreError(
                    f"cannot open database {_safe_url(self.url)}: {str(exc.orig).strip()[:200]}"
                ) from None
            _MIGRATED.add(self.url)

    def dispose(self) -> None:
        self.engine.dispose()
