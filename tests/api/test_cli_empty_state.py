"""Every ``referent`` command against a new, empty state directory and no configured sources.

The commands are enumerated from the typer app, so a new command is covered as soon as it is
registered: one without required parameters runs with none; one with required parameters must be
given an invocation in :data:`INVOCATIONS` (the test fails naming it otherwise). None may crash: exit
0, 1 or 2 only, with a message when not 0, and never a traceback. Commands that would start servers
run on input that stops them before (``sandbox up`` with an unknown world, ``serve`` with a bad port).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"
SOURCES = (
    "SANDBOX_DIR",
    "PROMETHEUS_URL",
    "ALERTMANAGER_URL",
    "MLFLOW_TRACKING_URI",
    "FEAST_REPO",
    "BILLING_PATH",
    "LLM_MODEL",
    "DATABASE_URL",
    "POLICY_FILE",
    "PSEUDONYM_KEY",
)
CPF = "529.982.247-25"

# Invocations for commands that need arguments (or that must not start servers). "{alert}" is a
# firing alert file written by the test.
INVOCATIONS: dict[str, list[str]] = {
    "triage": ["--alert", "{alert}"],
    "runbook": ["--rule", str(RULES), "--alert", "ModelInputDrift"],
    "promote": ["fraud-scorer", "2", "--dry-run"],
    "resume": ["promote-0123456789ab"],
    "rollback": ["fraud-scorer", "--dry-run"],
    "serve": ["--port", "0"],  # refused before anything binds
    "sandbox up": ["--world", "no-such-world"],  # refused before any server starts
    "approvals approve": ["ap-0123456789"],
    "approvals deny": ["ap-0123456789"],
    "policy check": ["--principal", "agent:triage", "--tool", "mlflow.get_model"],
    "eval run": ["--suite", "no-such-suite"],  # refused before any world starts
    "eval worlds generate": ["--seed", "3"],
    "eval compare": ["{alert}", "{alert}"],  # not a results.json: refused with a message
}
SKIPPED = {"demo": "starts the sandbox servers (covered by `make demo`)"}


def _commands(command: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    command = command if command is not None else typer.main.get_command(app)
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands())


@pytest.fixture
def empty_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new state directory that does not exist yet, no sources, and a scratch working directory."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # `.sandbox` and other relative defaults land here, not in the repository
    monkeypatch.setenv("REFERENT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REFERENT_RUNBOOKS_DIR", str(tmp_path / "runbooks"))
    monkeypatch.setenv("REFERENT_REDACTION_NLP", "false")
    monkeypatch.setenv("REFERENT_TOOL_TIMEOUT_S", "5")
    for name in SOURCES:
        monkeypatch.delenv(f"REFERENT_{name}", raising=False)
    alert = tmp_path / "alert.json"
    alert.write_text(json.dumps({"status": "firing", "labels": {"alertname": "CpuThrottlingHigh"}}))
    return tmp_path


def test_every_command_is_covered() -> None:
    assert {"redact", "triage", "audit verify", "sandbox status"} <= set(COMMANDS)
    for name, command in COMMANDS.items():
        required = [p.name for p in command.params if p.required]
        assert name in INVOCATIONS or name in SKIPPED or not required, (
            f"`referent {name}` needs {required}: add an invocation to INVOCATIONS"
        )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_of_every_command(name: str) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_on_an_empty_state_directory(name: str, empty_state: Path) -> None:
    if name in SKIPPED:
        pytest.skip(SKIPPED[name])
    args = [a.replace("{alert}", str(empty_state / "alert.json")) for a in INVOCATIONS.get(name, [])]

    result = CliRunner().invoke(app, [*name.split(), *args], input="nothing sensitive here\n")

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.output.strip(), "a failing command must say why"


@pytest.mark.timeout(300)
def test_redact_on_a_fresh_state_directory_redacts_a_cpf(tmp_path: Path) -> None:
    """The reported crash (``no such table: pseudonyms``): the real entry point, default settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERENT_")}
    env["REFERENT_STATE_DIR"] = str(tmp_path / "state")

    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "redact"],
        cwd=ROOT,
        env=env,
        input=f"payer CPF {CPF}\n",
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr
    assert CPF not in done.stdout and "payer CPF <" in done.stdout
    assert "Traceback" not in done.stderr


def test_sandbox_status_without_a_sandbox_says_nothing_runs(empty_state: Path) -> None:
    result = CliRunner().invoke(app, ["sandbox", "status"])

    assert result.exit_code == 0
    assert json.loads(result.stdout)["servers"] == {}
