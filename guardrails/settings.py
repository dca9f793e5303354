"""Settings of the guardrails layer (environment variables prefixed ``REFERENT_``).

Secrets are ``SecretStr`` and placeholder values are refused at start. The pseudonym key comes from
``REFERENT_PSEUDONYM_KEY``, else from the file ``REFERENT_PSEUDONYM_KEY_FILE`` (kept outside the state
directory, so that reading the database and the state alone reveals nothing; refused when group- or
world-accessible), else it is created once as ``state_dir/pseudonym.key`` (mode 0600, the state
directory 0700) so a single-machine install works out of the box.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "password", "xxx", "todo", "placeholder"}


def refuse_placeholder(value: SecretStr | None, name: str) -> SecretStr | None:
    """Raise when a secret is a well-known placeholder or too short to be a key."""
    if value is None:
        return None
    raw = value.get_secret_value()
    if raw.strip().lower() in PLACEHOLDERS or len(raw) < 16:
        raise ValueError(f"{name} is a placeholder or shorter than 16 characters; set a real secret")
    return value


class GuardrailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    state_dir: Path = Field(default=Path(".referent"), description="local state (SQLite db, generated keys)")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite in state_dir")
    policy_file: Path | None = Field(default=None, description="policy YAML; default: the shipped policy")
    pseudonym_key: SecretStr | None = Field(default=None, description="HMAC key for pseudonyms (≥16 chars)")
    pseudonym_key_file: Path | None = Field(
        default=None,
        description="file holding the pseudonym key (mode 0600 or stricter), e.g. outside state_dir",
    )
    approval_ttl_minutes: int = Field(default=60, ge=1)
    approval_key: SecretStr | None = Field(
        default=None, description="HMAC key signing approval decisions (≥16 chars; same on every replica)"
    )
    approval_key_file: Path | None = Field(
        default=None, description="file holding the approval key; default state_dir/approval.key (0600)"
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None,
        description="append-only dir of signed audit checkpoints; default state_dir/audit-checkpoints",
    )
    audit_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 key signing checkpoints; default state_dir/audit-signing.key (0600)",
    )
    redaction_nlp: bool = Field(
        default=True, description="use spaCy NER for names when the model is installed"
    )

    @field_validator("pseudonym_key")
    @classmethod
    def _no_placeholder(cls, v: SecretStr | None) -> SecretStr | None:
        return refuse_placeholder(v, "REFERENT_PSEUDONYM_KEY")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.state_dir / 'referent.db').resolve()}"

    @property
    def approval_ttl(self) -> timedelta:
        return timedelta(minutes=self.approval_ttl_minutes)

    def resolved_pseudonym_key(self) -> SecretStr:
        """The pseudonym key: the variable, else the key file, else ``state_dir/pseudonym.key`` (created once).

        Raises:
            KeyFileError: the key file is missing, unreadable, group- or world-accessible, or holds a
                placeholder.
        """
        if self.pseudonym_key is not None:
            return self.pseudonym_key
        if self.pseudonym_key_file is not None:
            return _read_key_file(self.pseudonym_key_file, "REFERENT_PSEUDONYM_KEY_FILE")
        path = self.state_dir / "pseudonym.key"
        if not path.exists():
            make_private_dir(self.state_dir)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first: use theirs
                return _read_key_file(path, "the generated pseudonym key")
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return _read_key_file(path, "the generated pseudonym key")


class KeyFileError(OSError):
    """A key file that cannot be used: unreadable, readable by others, or holding a placeholder.

    An ``OSError`` with a message only, so the CLI's error boundary prints it as one line (exit 2).
    """


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with the directory itself ``0700``; an existing one is left as is."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def _read_key_file(path: Path, name: str) -> SecretStr:
    """The key in ``path``, refused (:class:`KeyFileError`) when readable or writable by group or others."""
    try:
        mode = path.stat().st_mode & 0o777
        raw = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"{name} {path} cannot be read: {exc.strerror or exc}") from exc
    if mode & 0o077:
        raise KeyFileError(
            f"{name} {path} is accessible by group or others (mode {mode:o}): chmod 600 {path}"
        )
    try:
        key = refuse_placeholder(SecretStr(raw), name)
    except ValueError as exc:
        raise KeyFileError(f"{name} {path}: {exc}") from None
    assert key is not None
    return key
