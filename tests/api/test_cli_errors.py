"""The CLI's error boundary: every user-fixable error exits 2 with one ``error: ...`` line, no traceback.

Cases: bad settings (database URL, LLM temperature, policy file, log level), an unreachable or
unsupported database, a missing optional module, unreadable files, absurdly nested JSON. Passwords in
URLs never reach the message. The commands run through the real ``referent`` app
(:data:`api.cli.app`), and the entry point itself (:func:`api.cli.main`) in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli import app
from api.commands.common import describe_error, scrub

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hunter2-Sup3rSecret"
SOURCES = ("SANDBOX_DIR", "PROMETHEUS_URL", "MLFLOW_TRACKING_URI", "FEAST_REPO", "BILLING_PATH", "LLM_MODEL")


@pytest.fixture(autouse=True)
def empty_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("REFERENT_STATE_DIR", str(state))
    monkeypatch.setenv("REFERENT_PSEUDONYM_KEY", "test-pseudonym-key-0123456789abcdef")
    monkeypatch.setenv("REFERENT_REDACTION_NLP", "false")
    for name in ("DATABASE_URL", "POLICY_FILE", *SOURCES):
        monkeypatch.delenv(f"REFERENT_{name}", raising=False)
    return state


@pytest.fixture
def alert_file(tmp_path: Path) -> Path:
    path = tmp_path / "alert.json"
    path.write_text(json.dumps({"status": "firing", "labels": {"alertname": "CpuThrottlingHigh"}}))
    return path


def _one_line_error(result: Result) -> str:
    """The single ``error:`` line of a result that exited 2 without a traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


@pytest.mark.parametrize(
    "url, expected",
    [
        (f"foo://admin:{PASSWORD}@db.internal/referent", "unsupported database URL foo://admin:***@"),
        (f"postgresql://admin:{PASSWORD}@127.0.0.1:1/referent", "cannot open database"),
        ("not a database url", "unsupported database URL"),
    ],
)
def test_bad_or_unreachable_database(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("REFERENT_DATABASE_URL", url)

    line = _one_line_error(_run("rightsize"))

    assert expected in line
    assert PASSWORD not in line


def test_llm_temperature_out_of_range_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, alert_file: Path
) -> None:
    monkeypatch.setenv("REFERENT_LLM_TEMPERATURE", "9")

    line = _one_line_error(_run("triage", "--alert", str(alert_file)))

    assert (
        line
        == "error: invalid configuration: REFERENT_LLM_TEMPERATURE: Input should be less than or equal to 2"
    )


def test_a_settings_value_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERENT_APPROVAL_TTL_MINUTES", PASSWORD)

    line = _one_line_error(_run("rightsize"))

    assert "REFERENT_APPROVAL_TTL_MINUTES" in line and PASSWORD not in line


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "cannot read policy"),
        ("rules: [", "cannot read policy"),
        ("[]", "invalid policy file"),
        ("rules:\n  - name: x\n    effect: maybe\n", "invalid policy file"),
    ],
)
def test_bad_policy_file_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, expected: str
) -> None:
    policy = tmp_path / "policy.yaml"
    if content is not None:
        policy.write_text(content)
    monkeypatch.setenv("REFERENT_POLICY_FILE", str(policy))

    line = _one_line_error(_run("rightsize"))

    assert expected in line and str(policy) in line


def test_a_missing_optional_module_is_named_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what an install without it looks like to `import`

    line = _one_line_error(_run("serve", "--port", "1"))

    assert line == "error: optional module 'uvicorn' is not installed (install it with: pip install uvicorn)"


@pytest.mark.parametrize(
    "module, hint",
    [("psycopg", "pip install 'referent[postgres]'"), ("feast", "pip install 'referent[sandbox]'")],
)
def test_optional_modules_of_an_extra_point_at_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, hint: str
) -> None:
    import importlib

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module(module)

    assert (
        describe_error(caught.value)
        == f"optional module {module!r} is not installed (install it with: {hint})"
    )


def test_an_unusable_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("REFERENT_STATE_DIR", str(blocker / "state"))

    line = _one_line_error(_run("redact", stdin="nothing sensitive\n"))

    assert line == f"error: cannot access {blocker / 'state'}: Not a directory"


@pytest.mark.parametrize("make_path", ["directory", "missing", "binary"])
def test_unreadable_alert_file(tmp_path: Path, make_path: str) -> None:
    path = {"directory": tmp_path, "missing": tmp_path / "nope.json", "binary": tmp_path / "bin.json"}[
        make_path
    ]
    if make_path == "binary":
        path.write_bytes(b"\xff\xfe\x00{")

    line = _one_line_error(_run("triage", "--alert", str(path)))

    assert str(path) in line


def test_an_unreadable_rule_file(tmp_path: Path) -> None:
    line = _one_line_error(_run("runbook", "--rule", str(tmp_path)))

    assert str(tmp_path) in line


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_absurdly_nested_json(tmp_path: Path, opening: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(opening * 100_000)

    line = _one_line_error(_run("triage", "--alert", str(path)))

    assert "nested too deeply" in line


def test_the_boundary_maps_errors_raised_anywhere_in_a_command() -> None:
    """A command of a sub-group raising a user-fixable error still exits 2 with one line."""
    from api.cli import BoundaryGroup

    cli = typer.Typer(cls=BoundaryGroup)
    sub = typer.Typer()

    @sub.command("deep")
    def deep() -> None:
        json.loads("[" * 100_000)

    @sub.command("bug")
    def bug() -> None:
        raise KeyError("a bug keeps its traceback")

    @sub.command("exit")
    def leave() -> None:
        raise typer.Exit(code=1)

    @sub.command("pipe")
    def pipe() -> None:
        raise BrokenPipeError(32, "Broken pipe")  # the reader of stdout went away (`| head`)

    cli.add_typer(sub, name="sub")

    assert "nested too deeply" in _one_line_error(CliRunner().invoke(cli, ["sub", "deep"]))
    bugged = CliRunner().invoke(cli, ["sub", "bug"])
    assert isinstance(bugged.exception, KeyError), "a bug is not disguised as a user error"
    assert CliRunner().invoke(cli, ["sub", "exit"]).exit_code == 1
    piped = CliRunner().invoke(cli, ["sub", "pipe"])
    assert piped.exit_code == 1 and piped.output == "", "a closed pipe ends quietly"


def test_scrub_masks_url_passwords_and_secret_pairs() -> None:
    text = f"postgresql://u:{PASSWORD}@h:5432/db?sslmode=require password={PASSWORD}\nnext line"
    assert scrub(text) == "postgresql://u:***@h:5432/db?sslmode=require password=*** next line"


def test_the_entry_point_refuses_a_bad_log_level_in_one_line(empty_state: Path) -> None:
    env = {**os.environ, "REFERENT_LOG_LEVEL": "loud", "REFERENT_STATE_DIR": str(empty_state)}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: invalid configuration: REFERENT_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING', "
        "'ERROR' or 'CRITICAL'"
    ]
