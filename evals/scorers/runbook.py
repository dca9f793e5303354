"""Runbook structure and query validity, per rule, with counts by exporter.

A rule passes when it got a runbook whose level-2 headings include the expected sections in order
(Meaning / Impact / Diagnosis / Mitigation), with at least ``min_queries`` PromQL blocks, each accepted
by Prometheus's own parser: ``promtool check rules`` always, and the target Prometheus server too when
one is given (an instant query at the epoch: parsed and type-checked, no data read). The queries are
taken from the rendered Markdown — what an on-call engineer copies — not from the agent's own verdicts.

The exporter of a rule is its rule file (``<folder>/<file stem>``, e.g. ``postgresql/postgres-exporter``),
as the harness's driver records it.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

_HEADING = re.compile(r"^## (.+?)\s*$", re.M)
_BLOCK = re.compile(r"```promql\n(.*?)\n```", re.S)


def sections_of(markdown: str) -> list[str]:
    """The level-2 headings, in order."""
    return _HEADING.findall(markdown)


def queries_of(markdown: str) -> list[str]:
    """The PromQL blocks (```promql fences)."""
    return [q.strip() for q in _BLOCK.findall(markdown)]


def exporter_of(rule: dict[str, Any]) -> str:
    """The rule's exporter as the driver recorded it, else ``<folder>/<file stem>`` of its source."""
    if rule.get("exporter"):
        return str(rule["exporter"])
    path = PurePath(str(rule.get("source", "")))
    return f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem


def parse_errors(
    queries: Iterable[str], prometheus_url: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Every query Prometheus's parser rejects → why (``promtool:`` / ``prometheus:``), and the parsers asked.

    promtool checks the whole set in one process; the server, when given, is asked about each query
    promtool accepted. A server that stops answering is dropped from the parsers (not a query's fault).
    """
    from tools.errors import ToolError
    from tools.promtool import Promtool

    unique = sorted(set(queries))
    if not unique:
        return {}, []
    checks = Promtool(timeout_s=300).check_queries(unique)
    errors = {c.query: f"promtool: {c.error}" for c in checks if not c.valid}
    if not prometheus_url:
        return errors, ["promtool"]
    from tools.prometheus.client import PrometheusClient

    with PrometheusClient(prometheus_url) as client:
        try:
            for q in unique:
                if q not in errors and not (verdict := client.validate(q)).valid:
                    errors[q] = f"prometheus: {verdict.error}"
        except ToolError:
            return {q: e for q, e in errors.items() if e.startswith("promtool")}, ["promtool"]
    return errors, ["promtool", "prometheus server"]


def _problems(
    body: dict[str, Any] | None, sections: list[str], min_queries: int, errors: dict[str, str]
) -> list[str]:
    if body is None:
        return ["no runbook"]
    markdown = str(body.get("markdown", ""))
    problems = []
    found = [s for s in sections_of(markdown) if s in sections]
    if found != sections:
        missing = [s for s in sections if s not in found]
        problems.append(f"sections missing: {missing}" if missing else f"sections out of order: {found}")
    queries = queries_of(markdown)
    if len(queries) < min_queries:
        problems.append(f"{len(queries)} diagnosis queries (< {min_queries})")
    problems += [f"{errors[q]} in {q!r}"[:300] for q in queries if q in errors]
    return problems


def _per_rule(
    report: dict[str, Any], sections: list[str], min_queries: int, errors: dict[str, str]
) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]], int]:
    """Counts by exporter, the failing rules (with the agent's own error for a rule it dropped), and how
    many runbooks have every section."""
    runbooks = {str(rb["alert"]): rb for rb in report.get("runbooks", [])}
    agent_errors = {str(e).split(":", 1)[0]: str(e) for e in report.get("errors", [])}
    by_exporter: dict[str, dict[str, int]] = defaultdict(
        lambda: {"rules": 0, "ok": 0, "queries": 0, "queries_failing": 0}
    )
    failures, four = [], 0
    for rule in report.get("rules", []):
        body = runbooks.get(str(rule["alert"]))
        problems = _problems(body, sections, min_queries, errors)
        if body is None and rule["alert"] in agent_errors:
            problems = [f"no runbook ({agent_errors[rule['alert']]})"]
        queries = queries_of(str(body.get("markdown", ""))) if body else []
        counts = by_exporter[exporter_of(rule)]
        counts["rules"] += 1
        counts["ok"] += not problems
        counts["queries"] += len(queries)
        counts["queries_failing"] += sum(q in errors for q in queries)
        four += body is not None and not any(p.startswith("sections") for p in problems)
        if problems:
            failures.append({"rule": rule["alert"], "exporter": exporter_of(rule), "problems": problems})
    return dict(sorted(by_exporter.items())), failures, four


def score(
    report: dict[str, Any],
    sections: list[str],
    min_queries: int,
    expected_rules: int | None,
    prometheus_url: str | None = None,
) -> dict[str, Any]:
    """Score = 100 × rules with a complete, parseable runbook / rules expected (or loaded)."""
    markdowns = [str(rb.get("markdown", "")) for rb in report.get("runbooks", [])]
    all_queries = [q for md in markdowns for q in queries_of(md)]
    started = time.perf_counter()
    errors, parsers = parse_errors(all_queries, prometheus_url)
    check_s = time.perf_counter() - started
    by_exporter, failures, four = _per_rule(report, sections, min_queries, errors)
    loaded = len(report.get("rules", []))
    ok = loaded - len(failures)
    whys = [] if expected_rules in (None, loaded) else [f"{loaded} rules loaded, {expected_rules} expected"]
    whys += [f"{f['rule']}: {f['problems'][0]}" for f in failures[:3]]
    more = f" (+{len(failures) - 3} more)" if len(failures) > 3 else ""
    counts = {
        "rules": loaded,
        "runbooks": len(markdowns),
        "four_sections": four,
        "with_queries": sum(len(queries_of(md)) >= max(min_queries, 1) for md in markdowns),
        "queries": len(all_queries),
        "queries_ok": sum(q not in errors for q in all_queries),
        "queries_failing": sum(q in errors for q in all_queries),
        "rejected_candidates": int(report.get("rejected_queries", 0)),
        "batches": len(report.get("batch_s", [])),
        "max_batch_s": max(report.get("batch_s", []), default=0.0),
        "parsers": parsers,
        "check_s": round(check_s, 3),
        "by_exporter": by_exporter,
        "failures": failures,
    }
    return {
        "score": round(100 * ok / max(expected_rules or 0, loaded, 1), 2),
        "why": "; ".join(whys) + more,
        "ok_rules": ok,
        "runbook": counts,
    }
