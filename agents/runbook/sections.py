"""Meaning, Impact and Mitigation text for a rule, from its annotations, expression and component."""

from __future__ import annotations

import re
from pathlib import Path

from agents.runbook.models import AlertRule
from agents.runbook.promql import ExprShape

# component -> (words in the rule's name/group/file/metrics that identify it, impact lines, mitigation
# lines). Order matters: the first component whose word appears wins. GPUs come first: a DCGM alert is
# about infrastructure and money, never about the scores of a model.
COMPONENTS: dict[str, tuple[tuple[str, ...], list[str], list[str]]] = {
    "gpu": (
        ("dcgm", "gpu", "nvidia"),
        [
            "Allocated GPUs are billed whether or not they work: an idle or under-used GPU is spend "
            "without output, and it blocks other teams from the capacity.",
            "Jobs on a failing GPU (XID errors, thermal or power throttling) slow down or fail.",
        ],
        [
            "Find the pod holding the GPU and its owner: `kubectl -n <namespace> get pod <pod> -o "
            "jsonpath='{.spec.containers[*].resources}'` and the workload's team label.",
            "If it is idle, release it: scale the workload to zero, move it to CPU, or stop the notebook or "
            "job; `referent rightsize --namespace <namespace>` shows the monthly saving.",
            "If it is failing (XID errors, temperature), cordon and drain the node and move the workload "
            "to healthy GPUs.",
        ],
    ),
    "ml-model": (
        ("model_", "feast", "drift", "psi"),
        [
            "Scores served to payment decisions may be wrong: missed fraud or wrongly declined customers.",
            "Downstream decisions (authorizations, payouts, disputes) inherit the model's errors.",
        ],
        [
            "If a new model version is the cause, roll the alias back: `referent rollback <model>` (needs approval).",
            "If features are stale, re-run the feature pipeline and backfill: `feast materialize` for the gap.",
            "If inputs drifted, confirm with the model owner whether traffic changed; consider shadowing a retrained version.",
        ],
    ),
    "kubernetes": (
        ("kube", "kubernetes", "container_", "pod", "cadvisor"),
        [
            "Workloads on the affected objects may be degraded, restarting or unschedulable.",
            "Rollouts and autoscaling may be blocked until the condition clears.",
        ],
        [
            "Inspect the object: `kubectl -n <namespace> describe <kind> <name>` and its events.",
            "For resource pressure, raise requests/limits or scale out; for crash loops, read the previous container logs.",
            "If a recent rollout caused it, `kubectl rollout undo` the deployment.",
        ],
    ),
    "host": (
        ("node_", "host", "hardware", "ipmi", "smart", "disk", "filesystem"),
        [
            "Services on the host may slow down or fail when the resource runs out.",
            "A full disk or exhausted memory can corrupt data or kill processes (OOM killer).",
        ],
        [
            "Find the consumer: `top`/`iotop`/`du -xh --max-depth=1` on the host.",
            "Free or extend the resource (clean up, resize the volume, add memory), or move workloads off the host.",
        ],
    ),
    "storage": (
        ("ceph", "minio", "zfs", "openebs", "nfs", "glusterfs", "longhorn"),
        [
            "Volumes may become read-only or unavailable; writes fail and data durability is at risk.",
        ],
        [
            "Check cluster health and the failing disks/OSDs; replace failed hardware and let the cluster rebalance.",
            "Free or add capacity before the cluster reaches its full ratio.",
        ],
    ),
    "database": (
        (
            "mysql",
            "postgres",
            "pg_",
            "mongodb",
            "redis",
            "cassandra",
            "elasticsearch",
            "opensearch",
            "clickhouse",
            "couchdb",
            "memcached",
            "sql",
            "db",
        ),
        [
            "Queries may fail or slow down; callers time out and retry, adding load.",
            "Replication lag or unavailability risks stale reads or data loss on failover.",
        ],
        [
            "Check the slow/long-running queries and connection counts; kill runaway sessions.",
            "Check replication status and disk space; fail over only if the primary is unhealthy.",
        ],
    ),
    "messaging": (
        ("kafka", "rabbitmq", "nats", "pulsar", "queue", "sqs"),
        [
            "Messages may be delayed or lost; consumers fall behind and work piles up.",
        ],
        [
            "Check consumer lag and consumer health; scale consumers or fix the stuck one.",
            "Check broker disk and partition leadership; rebalance if a broker is down.",
        ],
    ),
    "proxy": (
        ("nginx", "haproxy", "traefik", "envoy", "caddy", "apache", "istio", "linkerd", "http", "blackbox"),
        [
            "Client requests may fail or slow down; user-facing error rates rise.",
        ],
        [
            "Check upstream health and recent config changes; roll back a bad config.",
            "Check certificate expiry and backend saturation; scale the backends.",
        ],
    ),
    "monitoring": (
        (
            "prometheus",
            "alertmanager",
            "thanos",
            "cortex",
            "mimir",
            "loki",
            "grafana",
            "tempo",
            "jaeger",
            "opentelemetry",
            "up",
        ),
        [
            "Monitoring or alerting may be blind: other alerts may not fire or reach people.",
        ],
        [
            "Check the monitoring component's logs and targets page; restart it if it is wedged.",
            "Check storage and memory of the monitoring stack.",
        ],
    ),
}
DEFAULT = (
    "service",
    (),
    ["The component may be degraded or unavailable to its users."],
    ["Check the component's logs and recent changes (deploys, config, traffic); roll back a bad change."],
)
# what each component's alerts are about: the runbook's category
CATEGORIES: dict[str, str] = {
    "ml-model": "model-quality",
    "gpu": "infrastructure/cost",
    "kubernetes": "infrastructure",
    "host": "infrastructure",
    "storage": "infrastructure",
    "database": "service",
    "messaging": "service",
    "proxy": "service",
    "monitoring": "observability",
    "service": "service",
}
SEVERITY_IMPACT = {
    "critical": "Severity critical: customer-facing impact is likely now; page the on-call.",
    "warning": "Severity warning: degradation or a risk that becomes an outage if it continues.",
    "info": "Severity info: no direct impact; a signal to review in working hours.",
}
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def component_of(rule: AlertRule, shape: ExprShape) -> str:
    """The component a rule watches, from its name, group, file (name and folder) and metrics."""
    source = Path(rule.source)
    return component_of_text(
        " ".join([rule.group, source.parent.name, source.name, rule.alert, *shape.metrics])
    )


def component_of_text(text: str, *, skip: tuple[str, ...] = ()) -> str:
    """The first component (in :data:`COMPONENTS` order, minus ``skip``) one of whose words is in ``text``."""
    haystack = text.lower()
    for name, (words, _, _) in COMPONENTS.items():
        if name not in skip and any(w in haystack for w in words):
            return name
    return DEFAULT[0]


def category_of(component: str) -> str:
    """The runbook category of a component: model-quality, infrastructure/cost, infrastructure, ..."""
    return CATEGORIES.get(component, "service")


def _clean(text: str) -> str:
    lines = [ln for ln in text.splitlines() if "VALUE =" not in ln and "LABELS =" not in ln]
    return _TEMPLATE.sub("…", " ".join(ln.strip() for ln in lines)).strip()


def meaning(rule: AlertRule, shape: ExprShape) -> str:
    summary = _clean(rule.annotations.get("summary", "")) or rule.alert
    description = _clean(rule.annotations.get("description", ""))
    condition = (
        f"`{shape.signal}` is {shape.comparison} {shape.threshold:g}"
        if (shape.comparison and shape.threshold is not None)
        else f"`{shape.expr}` returns any series"
    )
    hold = f" for at least {rule.for_}" if rule.for_ else ""
    parts = [f"{summary.rstrip('.')}.", f"The alert fires when {condition}{hold}."]
    if description and description.lower() != summary.lower():
        parts.append(description if description.endswith(".") else f"{description}.")
    return " ".join(parts)


def impact(rule: AlertRule, component: str) -> list[str]:
    lines = COMPONENTS[component][1] if component in COMPONENTS else DEFAULT[2]
    return [SEVERITY_IMPACT.get(rule.severity, SEVERITY_IMPACT["warning"]), *lines]


def mitigation(rule: AlertRule, shape: ExprShape, component: str) -> list[str]:
    lines = list(COMPONENTS[component][2] if component in COMPONENTS else DEFAULT[3])
    if shape.threshold is not None and shape.comparison:
        lines.append(
            f"If the threshold ({shape.comparison} {shape.threshold:g}) is wrong for this system, "
            "tune the rule rather than silencing it; record why in the rule's annotations."
        )
    lines.append(
        "Silence only with an expiry and a link to the incident; resolve the cause before the silence ends."
    )
    return lines
