"""Signed checkpoints of the audit chain, kept outside the database (like CloudTrail digest files).

A checkpoint is a small JSON file in an append-only directory: its number, the audit sequence and
hash it anchors, the time, and the SHA-256 of the previous checkpoint file, signed with Ed25519::

    {"body": {"number": 3, "seq": 812, "hash": "…", "time": "…", "previous": "<sha256 of 00000002.json>"},
     "signature": "<base64 Ed25519 over the canonical JSON of body>"}

Files are named ``00000003.json`` and published whole (written to a temporary file, then hard-linked
to the name, which fails when it exists): never overwritten, never seen half-written. The public key is
written beside them (``signing-key.pub``) so verifying needs no secret; the private key lives in a
``0600`` file (:func:`signing_key`), not in the database.

:func:`verify_with_checkpoints` checks the checkpoint files (signatures, numbering, each linking to the
previous one), then the chain with every checkpointed ``(seq, hash)`` as an anchor: an attacker with
only database access cannot delete the tail together with the head row, wipe the tables, or recompute
every hash from some record on without a checkpoint disagreeing. Records after the last checkpoint
are reported as not yet anchored. Deleting the *newest* checkpoint files is not detectable from the
files alone: compare the newest checkpoint's time with the checkpoint schedule.

Errors::

    CheckpointError (ValueError)   the chain is broken (nothing to anchor), the directory holds another
                                   key's public key, a file cannot be written or read
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guardrails.audit import GENESIS, AuditLog, VerifyResult
from guardrails.canonical import canonical_json
from guardrails.keyfiles import read_or_create
from guardrails.settings import GuardrailSettings

PUBLIC_KEY_FILE = "signing-key.pub"
_PRIVATE_PEM = serialization.PrivateFormat.PKCS8
_ATTEMPTS = 20  # verify-and-write rounds before giving up to other writers
_WRITERS: dict[Path, threading.Lock] = {}  # one checkpoint writer per directory in this process
_WRITERS_LOCK = threading.Lock()


class CheckpointError(ValueError):
    """A checkpoint cannot be written or the checkpoint directory cannot be used."""


@dataclass(frozen=True)
class Checkpoint:
    number: int
    seq: int
    hash: str
    time: str
    previous: str
    path: Path


@dataclass(frozen=True)
class CheckpointVerdict:
    """The outcome of :func:`verify_with_checkpoints`."""

    ok: bool
    problem: str
    checkpoints: int
    anchored_seq: int  # the last checkpointed record (0: none)
    records: int  # records in the chain that verified
    after: int  # records after the last checkpoint (verified links, not yet anchored)
    chain: VerifyResult | None = None


def checkpoint_location(settings: GuardrailSettings) -> tuple[Path, Path]:
    """``(directory, signing key file)``: ``REFERENT_AUDIT_CHECKPOINT_DIR`` and
    ``REFERENT_AUDIT_SIGNING_KEY_FILE``, by default ``audit-checkpoints/`` and ``audit-signing.key`` in
    the state directory (keep the directory on other storage in production)."""
    directory = settings.audit_checkpoint_dir or settings.state_dir / "audit-checkpoints"
    return directory, settings.audit_signing_key_file or settings.state_dir / "audit-signing.key"


def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, _PRIVATE_PEM, serialization.NoEncryption()
    )


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key in ``path`` (PEM), created ``0600`` on first use."""
    key = serialization.load_pem_private_key(read_or_create(path, _new_key_pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} does not hold an Ed25519 private key")
    return key


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write_new(path: Path, data: bytes) -> bool:
    """Write ``data`` into ``path`` created with ``O_EXCL``; False when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _create(path: Path, data: bytes) -> bool:
    """Publish ``data`` as the new file ``path`` in one step; False when it already exists (never overwrite).

    The data goes to a temporary file first, then is hard-linked to ``path`` (atomic, and it fails on
    an existing name), so a concurrent reader (another replica's checkpoint, ``audit verify``) sees the
    file whole or not at all. On storage without hard links the file is written in place (``O_EXCL``).
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    if not _write_new(temp, data):
        raise CheckpointError(f"temporary file {temp} already exists")
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some network or FUSE file systems)
        return _write_new(path, data)
    finally:
        temp.unlink(missing_ok=True)
    return True


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.json") if p.stem.isdigit())


def _load(path: Path, public: Ed25519PublicKey) -> Checkpoint:
    """Parse and check the signature of one checkpoint file."""
    try:
        doc = json.loads(path.read_bytes())
        body: dict[str, Any] = doc["body"]
        public.verify(base64.b64decode(doc["signature"]), canonical_json(body).encode())
        return Checkpoint(
            int(body["number"]),
            int(body["seq"]),
            str(body["hash"]),
            str(body["time"]),
            str(body["previous"]),
            path,
        )
    except InvalidSignature:
        raise CheckpointError(f"checkpoint {path.name}: the signature does not verify (edited)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {path.name} is unreadable: {type(exc).__name__}") from None


def _public_key(directory: Path, expected: Ed25519PublicKey | None) -> Ed25519PublicKey:
    """The directory's public key; with ``expected``, write it when absent and refuse another one."""
    path = directory / PUBLIC_KEY_FILE
    if expected is not None and not path.exists():
        _create(path, _public_pem(expected))
    try:
        loaded = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read the checkpoint public key {path}: {type(exc).__name__}") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise CheckpointError(f"{path} is not an Ed25519 public key")
    if expected is not None and _public_pem(loaded) != _public_pem(expected):
        raise CheckpointError(
            f"{path} holds another key's public key: not the signing key of these checkpoints"
        )
    return loaded


def write_checkpoint(audit_log: AuditLog, directory: Path, key: Ed25519PrivateKey) -> Checkpoint:
    """Verify the chain and append a signed checkpoint of its last record to ``directory``.

    Safe to call from several processes: the new checkpoint follows exactly the checkpoints the chain
    was verified against; when another writer added one meanwhile (the number is taken, or the
    directory changed), it verifies again, so no checkpoint ever anchors an older record than the one
    before it.

    Raises:
        CheckpointError: the chain does not verify against the existing checkpoints, or a file fails.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    public = _public_key(directory, key.public_key())
    with _WRITERS_LOCK:
        writer = _WRITERS.setdefault(directory.resolve(), threading.Lock())
    with writer:
        return _write_checkpoint(audit_log, directory, key, public)


def _write_checkpoint(
    audit_log: AuditLog, directory: Path, key: Ed25519PrivateKey, public: Ed25519PublicKey
) -> Checkpoint:
    for attempt in range(_ATTEMPTS):
        if attempt:  # another process checkpointed meanwhile: let it finish, then verify again
            time.sleep(random.uniform(0, 0.01 * min(attempt, 10)))
        verdict = verify_with_checkpoints(audit_log, directory, public)
        if not verdict.ok:
            raise CheckpointError(f"refusing to checkpoint a broken chain: {verdict.problem}")
        files = _files(directory)
        if len(files) != verdict.checkpoints:  # another writer checkpointed after our verification
            continue
        previous = hashlib.sha256(files[-1].read_bytes()).hexdigest() if files else GENESIS
        assert verdict.chain is not None
        body = {
            "number": verdict.checkpoints + 1,
            "seq": verdict.records,
            "hash": verdict.chain.last_hash,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "previous": previous,
        }
        signature = base64.b64encode(key.sign(canonical_json(body).encode())).decode()
        path = directory / f"{body['number']:08d}.json"
        if _create(path, json.dumps({"body": body, "signature": signature}, indent=1).encode()):
            return _load(path, public)
    raise CheckpointError(f"could not take a checkpoint number in {directory} (too many concurrent writers)")


def read_checkpoints(directory: Path, public: Ed25519PublicKey | None = None) -> list[Checkpoint]:
    """Every checkpoint in ``directory``, checked: signatures, numbers 1..N, each linking the previous.

    Raises:
        CheckpointError: a missing, edited, reordered or unreadable checkpoint (or no public key).
    """
    public = public or _public_key(directory, None)
    checkpoints: list[Checkpoint] = []
    previous = GENESIS
    for expected, path in enumerate(_files(directory), start=1):
        cp = _load(path, public)
        if cp.number != expected or path.stem != f"{expected:08d}":
            raise CheckpointError(f"checkpoint {expected} is missing (found {path.name}): deleted or renamed")
        if cp.previous != previous:
            raise CheckpointError(
                f"checkpoint {cp.number} does not link to checkpoint {expected - 1}: replaced"
            )
        if checkpoints and cp.seq < checkpoints[-1].seq:
            raise CheckpointError(f"checkpoint {cp.number} goes back in the chain ({cp.seq})")
        checkpoints.append(cp)
        previous = hashlib.sha256(path.read_bytes()).hexdigest()
    return checkpoints


def verify_with_checkpoints(
    audit_log: AuditLog, directory: Path, public: Ed25519PublicKey | None = None
) -> CheckpointVerdict:
    """Verify the checkpoints, then the chain anchored at every checkpointed record.

    Args:
        audit_log: the chain to verify.
        directory: the checkpoint directory.
        public: the key to trust (default: the public key file in ``directory``).
    """
    if not directory.is_dir():
        return CheckpointVerdict(False, f"no checkpoint directory {directory}", 0, 0, 0, 0)
    empty = public is None and not (directory / PUBLIC_KEY_FILE).exists() and not _files(directory)
    try:
        checkpoints = [] if empty else read_checkpoints(directory, public)
    except CheckpointError as exc:
        return CheckpointVerdict(False, str(exc), 0, 0, 0, 0)
    anchored = checkpoints[-1].seq if checkpoints else 0
    chain = audit_log.verify({cp.seq: cp.hash for cp in checkpoints})
    after = max(chain.records - anchored, 0)
    if not chain.ok:
        problem = f"record {chain.first_bad_seq}: {chain.problem}"
        return CheckpointVerdict(False, problem, len(checkpoints), anchored, chain.records, after, chain)
    return CheckpointVerdict(True, "", len(checkpoints), anchored, chain.records, after, chain)
