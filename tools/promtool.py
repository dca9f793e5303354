"""``promtool``: Prometheus's own parser, run locally to check PromQL without a server.

``check_queries`` writes the queries as recording rules into one temporary rule file and runs
``promtool check rules`` once, so hundreds of queries cost one process start. When the file is
rejected, each query is re-checked alone to say which ones are wrong and why.

Each ``promtool`` process runs in its own process group and is given the time the gateway call has
left (:func:`tools.base.time_left`); past it the whole group is killed, so a timed-out check leaves
no process behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec, time_left
from tools.errors import BadInput, SourceTimeout, SourceUnavailable

SOURCE = "promtool"


class QueryCheck(BaseModel):
    query: str
    valid: bool
    error: str = ""


class CheckArgs(BaseModel):
    queries: list[str] = Field(min_length=1, max_length=5000, description="PromQL expressions to check")


def _rule_file(queries: list[str]) -> str:
    rules = [{"record": f"referent:check:{i}", "expr": q} for i, q in enumerate(queries)]
    return yaml.safe_dump({"groups": [{"name": "referent-check", "rules": rules}]}, sort_keys=False)


def run_bounded(argv: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in a new process group; kill the whole group if it outlives ``timeout_s``.

    Raises:
        FileNotFoundError: the program does not exist.
        subprocess.TimeoutExpired: it ran longer than ``timeout_s`` (the group is killed and reaped).
    """
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group's id is the leader's pid (new session)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


class Promtool:
    """Runs ``promtool`` (Debian package ``prometheus``)."""

    def __init__(self, binary: str | None = None, timeout_s: float = 60.0) -> None:
        self.binary = binary or shutil.which("promtool") or "promtool"
        self.timeout_s = timeout_s

    def _check(self, queries: list[str]) -> tuple[bool, str]:
        with tempfile.TemporaryDirectory(prefix="referent-promtool-") as tmp:
            path = Path(tmp) / "rules.yml"
            path.write_text(_rule_file(queries))
            try:
                proc = run_bounded([self.binary, "check", "rules", str(path)], time_left(self.timeout_s))
            except FileNotFoundError:
                raise SourceUnavailable(
                    SOURCE, f"{self.binary} not found (install the 'prometheus' package)"
                ) from None
            except subprocess.TimeoutExpired:
                raise SourceTimeout(SOURCE, "promtool did not finish within the call's deadline") from None
        detail = (proc.stderr or proc.stdout).strip().replace(str(path), "query")
        return proc.returncode == 0, detail

    def check_queries(self, queries: list[str]) -> list[QueryCheck]:
        """Check every query; a query is valid when promtool accepts it as a rule expression."""
        if not queries:
            raise BadInput(SOURCE, "no queries to check")
        return self._bisect(queries)

    def _bisect(self, queries: list[str]) -> list[QueryCheck]:
        """One promtool run for the whole batch; halves of a rejected batch are checked again."""
        ok, detail = self._check(queries)
        if ok:
            return [QueryCheck(query=q, valid=True) for q in queries]
        if len(queries) == 1:
            return [QueryCheck(query=queries[0], valid=False, error=detail[-500:])]
        mid = len(queries) // 2
        return self._bisect(queries[:mid]) + self._bisect(queries[mid:])


def specs(promtool: Promtool) -> list[ToolSpec]:
    def check(args: CheckArgs) -> list[QueryCheck]:
        return promtool.check_queries(args.queries)

    return [
        ToolSpec(
            "promtool.check_queries",
            "Check PromQL expressions with Prometheus's own parser (promtool check rules). Returns, per query, "
            "whether it is valid and promtool's error message when it is not. Does not run the queries.",
            CheckArgs,
            ActionClass.READ,
            check,
            SOURCE,
            timeout_s=180.0,
            timeout_scale=12,  # bisecting a rejected batch of thousands of queries starts many processes
        )
    ]
