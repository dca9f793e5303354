"""``promtool``: Prometheus's own parser, run locally to check PromQL without a server.

``check_queries`` writes the queries as recording rules into one temporary rule file and runs
``promtool check rules`` once, so hundreds of queries cost one process start. When the file is
rejected, each query is re-checked alone to say which ones are wrong and why.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
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
                proc = subprocess.run(
                    [self.binary, "check", "rules", str(path)],
                    capture_output=True,
                    text=True,
                    timeout=self.timeout_s,
                    check=False,
                )
            except FileNotFoundError:
                raise SourceUnavailable(
                    SOURCE, f"{self.binary} not found (install the 'prometheus' package)"
                ) from None
            except subprocess.TimeoutExpired:
                raise SourceTimeout(SOURCE, f"promtool took longer than {self.timeout_s:.0f}s") from None
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
        )
    ]
