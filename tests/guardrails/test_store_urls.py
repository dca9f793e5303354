"""Database URLs: plain PostgreSQL URLs get the psycopg 3 driver; libpq strings for psycopg-based tools."""

from __future__ import annotations

import pytest

from guardrails.store.db import postgres_conninfo, sqlalchemy_url


@pytest.mark.parametrize(
    ("given", "engine_url", "conninfo"),
    [
        (
            "postgresql://u:p@db:5432/referent",
            "postgresql+psycopg://u:p@db:5432/referent",
            "postgresql://u:p@db:5432/referent",
        ),
        ("postgres://u@db/referent", "postgresql+psycopg://u@db/referent", "postgresql://u@db/referent"),
        ("postgresql+psycopg://u@db/r", "postgresql+psycopg://u@db/r", "postgresql://u@db/r"),
        ("sqlite:////var/lib/referent/referent.db", "sqlite:////var/lib/referent/referent.db", None),
    ],
)
def test_urls(given: str, engine_url: str, conninfo: str | None) -> None:
    assert sqlalchemy_url(given) == engine_url
    assert postgres_conninfo(given) == conninfo
