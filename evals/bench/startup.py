"""Start-up benchmark: ``referent`` commands timed cold, as subprocesses, next to ``python -c pass``.

Each command runs once untimed (bytecode compiled, state database created and migrated), then
``repeats`` times in fresh processes; the median wall time and CPU time (user + system of the child)
are printed with their ratio to the interpreter's own start-up measured in the same run, so figures
from a loaded machine stay comparable. Goals (2-core machine): ``--help`` ≤ 1 s, ``runbook`` for one
rule and ``promote --dry-run`` ≤ 3 s. The figures are reported, not asserted; ``--strict`` exits 1
when a goal is missed.

Start-up is measured with no sources configured: the commands import, open the state store, build
the gateway and finish at once, so the figures are start-up alone; the goals apply to them. With
``--dir`` naming a running sandbox (or ``--up`` to start it) the commands are timed a second time
against its endpoints (``REFERENT_SANDBOX_DIR``), start-up plus their real calls, for information.

Usage: ``python -m evals.bench.startup [--repeats 5] [--dir .sandbox] [--up] [--strict] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "evals" / "sandbox" / "rules" / "ml-platform.rules.yml"
REFERENT = [sys.executable, "-m", "api.cli"]


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    goal_s: float | None


CASES = (
    Case("python -c pass", [sys.executable, "-c", "pass"], None),
    Case("referent --help", [*REFERENT, "--help"], 1.0),
    Case(
        "referent runbook (one rule)",
        [*REFERENT, "runbook", "--rule", str(RULES), "--alert", "ModelInputDrift", "--no-store"],
        3.0,
    ),
    Case(
        "referent promote --dry-run",
        [*REFERENT, "promote", "chargeback-risk", "3", "--to", "production", "--dry-run"],
        3.0,
    ),
)


@dataclass(frozen=True)
class Timing:
    name: str
    wall_s: float
    cpu_s: float
    wall_ratio: float
    exit_codes: list[int]
    goal_s: float | None

    @property
    def met(self) -> bool | None:
        return None if self.goal_s is None else self.wall_s <= self.goal_s


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded) and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def measure(env: dict[str, str], repeats: int) -> list[Timing]:
    """Time every case (one untimed warm-up each, then ``repeats`` runs; medians)."""
    raw: list[tuple[Case, float, float, list[int]]] = []
    for case in CASES:
        _once(case.argv, env)
        runs = [_once(case.argv, env) for _ in range(repeats)]
        raw.append(
            (
                case,
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                [r[2] for r in runs],
            )
        )
    baseline = raw[0][1]
    return [
        Timing(case.name, round(wall, 3), round(cpu, 3), round(wall / baseline, 1), codes, case.goal_s)
        for case, wall, cpu, codes in raw
    ]


def environment(state_dir: Path, sandbox_dir: Path | None) -> dict[str, str]:
    """The commands' environment: a fresh state directory, no REFERENT_* of the caller, the sandbox if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERENT_")}
    env.update(
        REFERENT_STATE_DIR=str(state_dir),
        REFERENT_RUNBOOKS_DIR=str(state_dir / "runbooks"),
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        FEAST_USAGE="False",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
    )
    if sandbox_dir is not None:
        env["REFERENT_SANDBOX_DIR"] = str(sandbox_dir.resolve())
    return env


def _sandbox(directory: Path | None, up: bool) -> Path | None:
    """The sandbox directory to point the commands at, started first with ``up`` (None: no sources)."""
    if directory is None:
        return None
    if up:
        from evals.sandbox import world as sandbox
        from evals.sandbox.processes import SandboxError
        from evals.worlds import load_world

        try:
            sandbox.up(load_world("demo"), directory)
        except SandboxError as exc:
            print(f"sandbox unavailable ({exc}); timing with no sources configured", flush=True)
            return None
    return directory if (directory / "endpoints.json").exists() else None


def _print(rows: list[Timing], sandbox_dir: Path | None) -> None:
    where = f"sandbox {sandbox_dir}" if sandbox_dir else "no sources configured"
    print(f"start-up, cold subprocesses, median ({where}; {os.cpu_count()} cores)")
    print(f"{'command':<32} {'wall s':>8} {'cpu s':>7} {'× python':>9} {'goal':>7}  exit codes")
    for r in rows:
        goal = "" if r.goal_s is None else f"≤{r.goal_s:g} s {'ok' if r.met else 'MISSED'}"
        print(f"{r.name:<32} {r.wall_s:>8.2f} {r.cpu_s:>7.2f} {r.wall_ratio:>9.1f} {goal:>7}  {r.exit_codes}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="a sandbox directory to point at")
    parser.add_argument("--up", action="store_true", help="start the demo sandbox in --dir first")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    sandbox_dir = _sandbox(args.dir, args.up)
    tables: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="referent-startup-") as tmp:
        repeats = max(1, args.repeats)
        tables["no sources"] = measure(environment(Path(tmp) / "state", None), repeats)
        _print(tables["no sources"], None)
        if sandbox_dir is not None:
            tables["sandbox"] = measure(environment(Path(tmp) / "state-sandbox", sandbox_dir), repeats)
            print("\nthe same commands making their real calls:")
            _print(tables["sandbox"], sandbox_dir)
    if args.out is not None:
        body = {k: [{**asdict(r), "met": r.met} for r in rows] for k, rows in tables.items()}
        args.out.write_text(json.dumps(body, indent=2))
    return 1 if args.strict and any(r.met is False for r in tables["no sources"]) else 0


if __name__ == "__main__":
    sys.exit(main())
