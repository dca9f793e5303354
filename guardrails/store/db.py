"""Engine, sessions and schema migration for Referent's state.

All tables share one declarative :class:`Base` so one Alembic history covers them. ``Database``
wraps an engine; :meth:`Database.migrate` brings the schema to the latest Alembic revision
(``alembic upgrade head`` programmatically), which is what the CLI and the server do at start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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


class Database:
    """An engine plus a session factory for one database URL (SQLite file or PostgreSQL)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        url = sqlalchemy_url(url)
        self.url = url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, echo=echo, pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        """Upgrade the schema to the latest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()
