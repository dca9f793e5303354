"""Start, watch and stop the sandbox's server processes.

Each server runs in its own process group (``start_new_session=True``) so that stopping it also
stops its children (MLflow 3 spawns job-runner workers). The pid, port and log path of every started
server are recorded in ``<dir>/state.json`` so that ``sandbox down`` — possibly from another process —
can stop exactly what ``sandbox up`` started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx


class SandboxError(RuntimeError):
    """A sandbox server could not be started or did not become ready."""


@dataclass
class ServerProcess:
    name: str
    pid: int
    port: int
    log: str

    def alive(self) -> bool:
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ServerProcess:
    """Start ``argv`` in a new process group, output to ``<log_dir>/<name>.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = {**os.environ, **(env or {})}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    return ServerProcess(name=name, pid=proc.pid, port=port, log=str(log_path))


def wait_http(
    url: str,
    *,
    timeout_s: float,
    proc: ServerProcess | None = None,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> None:
    """Poll ``url`` until ``ok(response)``; fail fast if ``proc`` died, with the tail of its log."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc is not None and not proc.alive():
                raise SandboxError(f"{proc.name} exited during start-up:\n{log_tail(proc.log)}")
            try:
                resp = client.get(url)
                if ok(resp):
                    return
                last = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.5)
    tail = log_tail(proc.log) if proc else ""
    raise SandboxError(f"{url} not ready after {timeout_s:.0f}s ({last})\n{tail}")


def log_tail(path: str, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(proc: ServerProcess, *, grace_s: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and proc.alive():
        _reap(proc.pid)
        time.sleep(0.1)
    if proc.alive():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.2)
    _reap(proc.pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def read_state(directory: Path) -> dict[str, object]:
    path = directory / "state.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()))


def write_state(directory: Path, state: Mapping[str, object]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True, default=str))
    tmp.replace(directory / "state.json")


def servers_from_state(state: Mapping[str, object]) -> list[ServerProcess]:
    raw = state.get("servers", {})
    assert isinstance(raw, dict)
    return [ServerProcess(**v) for v in raw.values()]


def server_record(proc: ServerProcess) -> dict[str, object]:
    return asdict(proc)
