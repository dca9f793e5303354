"""The pseudonym key: environment, a key file outside the state directory, or generated 0600 in a
0700 state directory; loose key files are refused with a clear error."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from guardrails.settings import GuardrailSettings, KeyFileError

KEY = "k" * 8 + "0123456789abcdef"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_key_is_0600_in_a_0700_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "fresh" / "state"
    key = GuardrailSettings(state_dir=state).resolved_pseudonym_key()
    assert len(key.get_secret_value()) >= 32
    assert _mode(state) == 0o700
    assert _mode(state / "pseudonym.key") == 0o600
    # stable: the second resolution reads the same file
    assert GuardrailSettings(state_dir=state).resolved_pseudonym_key() == key


def test_environment_key_wins_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERENT_PSEUDONYM_KEY", KEY)
    settings = GuardrailSettings(state_dir=tmp_path / "state")
    assert settings.resolved_pseudonym_key().get_secret_value() == KEY
    assert not (tmp_path / "state").exists()


def test_key_file_outside_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "secrets" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    monkeypatch.setenv("REFERENT_PSEUDONYM_KEY_FILE", str(key_file))
    settings = GuardrailSettings(state_dir=tmp_path / "state")
    assert settings.resolved_pseudonym_key().get_secret_value() == KEY
    assert not (tmp_path / "state").exists()  # nothing about the key lives beside the database


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_group_or_world_accessible_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(KEY)
    key_file.chmod(mode)
    settings = GuardrailSettings(state_dir=tmp_path / "state", pseudonym_key_file=key_file)
    with pytest.raises(KeyFileError, match=r"accessible by group or others .*chmod 600"):
        settings.resolved_pseudonym_key()


def test_missing_or_placeholder_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot be read"):
        GuardrailSettings(pseudonym_key_file=tmp_path / "nope.key").resolved_pseudonym_key()
    weak = tmp_path / "weak.key"
    weak.write_text("changeme")
    os.chmod(weak, 0o600)
    with pytest.raises(KeyFileError, match="placeholder"):
        GuardrailSettings(pseudonym_key_file=weak).resolved_pseudonym_key()


def test_loosened_generated_key_is_refused(tmp_path: Path) -> None:
    settings = GuardrailSettings(state_dir=tmp_path / "state")
    settings.resolved_pseudonym_key()
    (tmp_path / "state" / "pseudonym.key").chmod(0o644)
    with pytest.raises(KeyFileError, match="group or others"):
        settings.resolved_pseudonym_key()


def test_cli_reports_a_loose_key_file_in_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(KEY)
    key_file.chmod(0o644)
    env = {
        **os.environ,
        "REFERENT_STATE_DIR": str(tmp_path / "state"),
        "REFERENT_PSEUDONYM_KEY_FILE": str(key_file),
    }
    env.pop("REFERENT_PSEUDONYM_KEY", None)
    cli = Path(sys.executable).with_name("referent")
    out = subprocess.run(
        [str(cli), "redact"], input="x", capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "accessible by group or others" in out.stderr and KEY not in out.stderr


def test_configured_secret_is_not_echoed(tmp_path: Path) -> None:
    settings = GuardrailSettings(state_dir=tmp_path, pseudonym_key=SecretStr(KEY))
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
