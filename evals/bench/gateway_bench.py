"""Gateway overhead per read call: policy + audit + redaction of a 2 KB result (target p50 ≤ 2 ms).

The baseline is the same tool function called directly in the same process; the overhead is the
difference, reported as p50/p95 milliseconds and as a ratio.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, SecretStr

from guardrails.factory import build_runtime
from guardrails.gateway import CallContext
from guardrails.settings import GuardrailSettings
from tools.base import ActionClass, ToolSpec
from tools.settings import PlatformSettings

LINE = (
    '{"ts":"2026-11-27T10:00:01Z","pod":"fraud-scorer-7f9c-0","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",'
    '"model":"fraud-scorer","version":"4","latency_ms":41.2,"status":200}'
)


class Args(BaseModel):
    namespace: str


# the same size with identifiers in it (slow path: per-leaf redaction); printed for information
PII_LINE = LINE.replace(
    '"status":200}', '"status":200,"msg":"payer 529.982.247-25 card 4111 1111 1111 1111"}'
)


def _result(_: Args) -> dict[str, object]:
    return {"lines": [LINE] * 14}  # ≈2 KB


def _pii_result(_: Args) -> dict[str, object]:
    return {"lines": [LINE] * 12 + [PII_LINE]}  # ≈2 KB


def main(calls: int = 500) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = GuardrailSettings(
            state_dir=Path(tmp), pseudonym_key=SecretStr("bench-key-0123456789abcdef"), redaction_nlp=True
        )
        specs = [
            ToolSpec("prometheus.bench", "bench", Args, ActionClass.READ, _result, "prometheus"),
            ToolSpec("prometheus.bench_pii", "bench", Args, ActionClass.READ, _pii_result, "prometheus"),
        ]
        rt = build_runtime(settings, PlatformSettings(), register_platform_tools=False, extra_specs=specs)
        direct, gated, with_pii = [], [], []
        for i in range(calls):
            ctx = CallContext(
                "agent:triage", f"bench-{i // 50}"
            )  # two calls per i: stay inside the per-run budget
            t = time.perf_counter()
            _result(Args(namespace="ml-serving"))
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            rt.gateway.call(ctx, "prometheus.bench", {"namespace": "ml-serving"})
            gated.append(time.perf_counter() - t)
            t = time.perf_counter()
            rt.gateway.call(ctx, "prometheus.bench_pii", {"namespace": "ml-serving"})
            with_pii.append(time.perf_counter() - t)
        rt.close()
    p50 = statistics.median(gated) * 1000
    p95 = sorted(gated)[int(0.95 * len(gated))] * 1000
    base = statistics.median(direct) * 1000
    print(
        f"gateway read call (2 KB result): p50 {p50:.2f} ms, p95 {p95:.2f} ms; direct call p50 {base:.3f} ms; "
        f"overhead p50 {p50 - base:.2f} ms (target ≤ 2 ms: {'met' if p50 - base <= 2 else 'NOT met'}); "
        f"same size holding a CPF and a card: p50 {statistics.median(with_pii) * 1000:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
