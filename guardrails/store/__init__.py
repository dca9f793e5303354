"""The SQL state store (SQLAlchemy 2 + Alembic): SQLite file by default, PostgreSQL by URL."""

from guardrails.store.db import Base, Database

__all__ = ["Base", "Database"]
