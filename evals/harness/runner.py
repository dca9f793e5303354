"""Run scenarios on the real sandbox and score each run.

Scenarios are grouped by world; each world is brought up once (:func:`evals.sandbox.world.up`, which
reuses a running world) and stopped afterwards only if this run started it. Every scenario run gets
its own run id; its trajectory (tool and LLM calls) is read back from the audit log by that id.

Errors::

    ScenarioError   a scenario names a world incident or file that does not exist
    StoreError      the state database cannot be opened
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from evals.harness.agents import RunOutput, run_agent
from evals.harness.scenario import Scenario
from evals.scorers import cost, injection, pii

ChatFactory = Callable[[], Any]
NO_WORLD = "none"  # scenarios that need no platform (runbooks from rule files): no sandbox is started


@dataclass
class RunOptions:
    """How to run a suite."""

    model: str | None = None
    repeat: int = 1
    sandbox_root: Path = Path(".sandbox-eval")
    world_dirs: dict[str, Path] = field(default_factory=dict)  # running worlds to reuse (name → dir)
    chat_factory: ChatFactory | None = None  # tests: a scripted model instead of --model
    keep_up: bool = False  # leave worlds started here running (the next run reuses them)
    compare: bool = False  # also run every scenario in deterministic mode, on the same running world
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)


def load_world_named(name: str) -> Any:
    """A world by name (``demo``), by YAML path, or generated (``gen-<seed>``)."""
    from evals.worlds import load_world

    if name.startswith("gen-") and name[4:].isdigit():
        from evals.generator.worlds import generate_world

        return generate_world(int(name[4:]))
    return load_world(name)


def modes(options: RunOptions) -> list[RunOptions]:
    """The options of each mode to run: the given one, preceded by deterministic mode with ``compare``."""
    if not options.compare:
        return [options]
    if not (options.model or options.chat_factory):
        raise ValueError("comparing modes needs a model (--model NAME)")
    return [replace(options, model=None, chat_factory=None, compare=False), options]


def run_suite(scenarios: list[Scenario], options: RunOptions) -> list[dict[str, Any]]:
    """Run every scenario ``options.repeat`` times (in each mode); return one result row per run."""
    rows: list[dict[str, Any]] = []
    variants = modes(options)
    total = len(scenarios) * options.repeat * len(variants)
    for world_name in sorted({s.world for s in scenarios}):
        group = [s for s in scenarios if s.world == world_name]
        with _world(world_name, options) as (world, directory, anchor):
            for variant in variants:
                for scenario in group:
                    for attempt in range(options.repeat):
                        row = _run_scored(scenario, world, directory, anchor, variant, attempt)
                        rows.append(row)
                        options.progress(_progress_line(len(rows), total, row))
    return rows


class _world:
    """Context manager: bring a world up (or reuse it) and stop it afterwards if it was started here."""

    def __init__(self, name: str, options: RunOptions) -> None:
        self.name, self.options = name, options
        self.started = False

    def __enter__(self) -> tuple[Any, Path | None, datetime | None]:
        from evals.sandbox import world as sandbox

        if self.name == NO_WORLD:
            return None, None, None
        world = load_world_named(self.name)
        directory = self.options.world_dirs.get(self.name) or self.options.sandbox_root / self.name
        before = sandbox.status(directory)
        running = before.get("world") == world.name and before["servers"] and all(before["servers"].values())
        endpoints = sandbox.up(world, directory)
        self.started = not running
        self.directory = directory
        return world, directory, datetime.fromisoformat(str(endpoints["anchor"]))

    def __exit__(self, *exc: object) -> None:
        if self.started and not self.options.keep_up:
            from evals.sandbox import world as sandbox

            sandbox.down(self.directory)


def _run_scored(
    scenario: Scenario,
    world: Any,
    directory: Path | None,
    anchor: datetime | None,
    options: RunOptions,
    attempt: int,
) -> dict[str, Any]:
    """One run: the agent on a fresh state store, its audit trajectory, and every scorer's verdict."""
    from guardrails.factory import build_runtime
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    run_id = f"eval-{scenario.id[:40]}-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="referent-eval-") as state:
        rt = build_runtime(GuardrailSettings(state_dir=Path(state)), PlatformSettings(sandbox_dir=directory))
        try:
            chat = _chat(options)
            started = time.perf_counter()
            try:
                output = run_agent(scenario, rt, run_id, chat, world, anchor)
            except Exception as exc:  # a crash is a failed scenario, not a failed suite
                output = RunOutput(error=f"{type(exc).__name__}: {exc}")
            wall = time.perf_counter() - started
            calls = _audit_rows(rt, run_id)
        finally:
            rt.close()
    return _row(scenario, world, output, calls, wall, attempt, options)


def _chat(options: RunOptions) -> Any:
    if options.chat_factory is not None:
        return options.chat_factory()
    if not options.model:
        return None
    from agents.llm import make_chat_model
    from agents.settings import LLMSettings

    return make_chat_model(LLMSettings(model=options.model))


def _audit_rows(rt: Any, run_id: str) -> list[dict[str, Any]]:
    rows = rt.audit.tail(limit=100_000, run_id=run_id)
    keys = ("seq", "kind", "tool", "action", "decision", "outcome", "tokens", "cost_usd", "latency_ms")
    out = []
    for r in rows:
        item = {k: getattr(r, k) for k in keys}
        item["arguments"], item["reason"] = r.arguments, r.reason
        out.append(item)
    return out


def _row(
    scenario: Scenario,
    world: Any,
    output: RunOutput,
    calls: list[dict[str, Any]],
    wall: float,
    attempt: int,
    options: RunOptions,
) -> dict[str, Any]:
    from evals.harness.scoring import score_output

    places = {
        "report": json.dumps(output.reports, default=str),
        "audit": json.dumps(calls, default=str),
        "slack": json.dumps(output.slack, default=str),
    }
    leaks = pii.leaks(scenario.canaries, places)
    writes = injection.unauthorized_writes(calls, scenario.allowed_writes)
    scores = score_output(scenario, world, output, calls)
    passed = not output.error and not leaks and not writes and bool(scores.get("passed"))
    return {
        "id": scenario.id,
        "agent": scenario.agent,
        "world": scenario.world,
        "fault_kind": scenario.fault_kind or scores.get("fault_kind") or scenario.agent,
        "attempt": attempt,
        "mode": f"llm:{options.model or 'scripted'}"
        if options.model or options.chat_factory
        else "deterministic",
        "passed": passed,
        "error": output.error,
        "leaks": leaks,
        "unauthorized_writes": writes,
        "scores": {k: v for k, v in scores.items() if k not in ("passed", "fault_kind")},
        "usage": cost.usage(calls, wall),
        "trajectory": [
            {k: c[k] for k in ("kind", "tool", "action", "decision", "outcome", "latency_ms")} for c in calls
        ],
    }


def _progress_line(done: int, total: int, row: dict[str, Any]) -> str:
    bar = "#" * (20 * done // max(total, 1))
    verdict = "PASS" if row["passed"] else "FAIL"
    main = row["scores"].get("score")
    return f"[{bar:<20}] {done}/{total} {verdict} {row['id']} ({row['mode']}) score={main} {row['usage']['wall_s']}s"
