"""``make bench``: every benchmark in one run, each printing its own ratios against its baseline."""

from __future__ import annotations

import sys

from evals.bench import (
    billing_bench,
    gateway_bench,
    intake_bench,
    prometheus_bench,
    redaction_bench,
    startup,
    triage_bench,
)


def main() -> int:
    status = 0
    for name, run in (
        ("redaction", lambda: redaction_bench.main([])),
        ("gateway", gateway_bench.main),
        ("billing (FOCUS aggregation)", lambda: billing_bench.main([])),
        ("prometheus (rightsizing query at 1k/10k workloads)", prometheus_bench.main),
        (
            "service intake: alerts/s committed vs a bare FastAPI echo; 10,000-alert storm",
            lambda: intake_bench.main([]),
        ),
        # starts the demo sandbox (or reuses it); the triage benchmark after it stops it
        (
            "start-up: referent commands cold, next to python -c pass",
            lambda: startup.main(["--dir", ".sandbox", "--up"]),
        ),
        (
            "triage: p95 in process on the demo incidents; referent triage cold start",
            lambda: triage_bench.main(["--down"]),
        ),
    ):
        print(f"\n### {name}", flush=True)
        result = run()
        status |= int(result or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
