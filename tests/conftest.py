"""Session-wide fixtures: the real sandbox world (started once per test session) and test switches."""

from __future__ import annotations

import os

# Nothing may reach the network at import time: set before any library import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("FEAST_USAGE", "False")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

import agents.llm

TEST_KEY = "test-pseudonym-key-0123456789abcdef"


@pytest.fixture(autouse=True, scope="session")
def _no_real_model_requests() -> Iterator[None]:
    """Any attempt to reach a real LLM fails during tests: only the scripted models of agents/testing.py
    pass (the switch keys on the model class, not on anything a test passes)."""
    agents.llm.ALLOW_MODEL_REQUESTS = False
    yield


@pytest.fixture(scope="session")
def demo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo world on real servers, started once per test session and stopped at the end."""
    from evals.sandbox import processes
    from evals.sandbox import world as sandbox
    from evals.worlds import load_world

    directory = tmp_path_factory.mktemp("sandbox")
    endpoints = sandbox.up(load_world("demo"), directory)
    started = processes.servers_from_state(processes.read_state(directory))
    try:
        yield endpoints
    finally:
        sandbox.down(directory)
        left = [p.name for p in started if p.alive()]
        assert not left, f"sandbox down left process groups running: {left}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL cluster for the whole session (each test takes a fresh database from it)."""
    import shutil
    import tempfile

    from evals.sandbox.postgres import start_postgres

    directory = Path(tempfile.mkdtemp(prefix="referent-pg-"))  # reachable by the postgres user when root
    server = start_postgres(directory)
    try:
        yield server
    finally:
        server.stop()
        alive = server.process.alive()
        shutil.rmtree(directory, ignore_errors=True)
        assert not alive, "postgres did not stop"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def state_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty state database: a SQLite file, and (integration) a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.new_database())


def guardrail_settings(state_dir: Path) -> Any:
    from guardrails.settings import GuardrailSettings

    return GuardrailSettings(state_dir=state_dir, pseudonym_key=SecretStr(TEST_KEY))


@pytest.fixture
def runtime(demo_sandbox: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """A gateway over the demo sandbox with a fresh SQLite state store."""
    from guardrails.factory import build_runtime
    from tools.settings import PlatformSettings

    rt = build_runtime(guardrail_settings(tmp_path), PlatformSettings(sandbox_dir=Path(demo_sandbox["dir"])))
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def agent_deps(runtime: Any) -> Callable[..., Any]:
    """Factory: ``agent_deps("agent:triage", chat=None)`` → AgentDeps with a fresh run id."""
    from agents.deps import AgentDeps
    from guardrails.gateway import CallContext

    def make(principal: str, chat: Any = None, **kwargs: Any) -> AgentDeps:
        ctx = CallContext(principal=principal, run_id=f"test-{uuid.uuid4().hex[:10]}")
        return AgentDeps(gateway=runtime.gateway, ctx=ctx, chat=chat, **kwargs)

    return make
