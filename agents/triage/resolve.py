"""Resolve what an alert is about, and choose the collectors that can explain it.

Labels first (read through the configurable :class:`agents.triage.labels.LabelMap`); then the platform
fills the gaps through the gateway:

* pods and containers to their workloads through kube-state-metrics owner references
  (``kube_pod_owner`` → ReplicaSet → ``kube_replicaset_owner`` → Deployment; or a Job, StatefulSet...),
  and each workload's pods (so its resource series are selected by pod, whatever its container is named);
* an alert naming only a namespace: that namespace's model servers and workloads (at most
  :data:`MAX_NAMESPACE_TARGETS` of each);

* a workload's model from its pods' ``kube_pod_labels{label_model}`` (inferred, not named);
* the request-metric services of the model or workload (``model_requests_total`` / ``http_requests_total``);
* the model's features: a registered-model tag holding feature refs (``view:feature``) when there is
  one, else the champion version's signature inputs matched against the Feast feature views.
"""

from __future__ import annotations

import json
import re

from agents.triage.collectors.base import CollectorContext, query_instant, selector
from agents.triage.findings import Targets
from agents.triage.labels import LabelMap, from_labels

__all__ = ["LabelMap", "choose_collectors", "from_labels", "resolve"]

MAX_NAMESPACE_TARGETS = 5
FEATURE_TAGS = ("features", "feature_refs", "referent.features")


def _sel(label: str, names: list[str]) -> str:
    """An exact matcher for one name, a regex alternation for several."""
    if len(names) == 1:
        return selector(**{label: names[0]})
    return selector(**{f"{label}_re": "|".join(re.escape(n) for n in names)})


def _pods(cx: CollectorContext, t: Targets) -> None:
    promql = f"group by (namespace, label_app, label_model) (kube_pod_labels{_sel('label_app', t.workloads)})"
    _, rows = query_instant(cx, promql, f"pod labels of {', '.join(t.workloads)}")
    for labels, _ in rows:
        if not t.model and labels.get("label_model"):
            t.model = labels["label_model"]
            t.notes.append(f"model {t.model} inferred from pod labels of {labels.get('label_app')}")
        if labels.get("namespace") and not t.namespace:
            t.namespace = labels["namespace"]


def _services(cx: CollectorContext, t: Targets) -> None:
    if t.model_direct and t.model:
        match = selector(model=t.model)
    elif t.workloads:
        match = _sel("service", t.workloads)
    else:
        return
    _, rows = query_instant(
        cx, f"group by (namespace, service, model) (model_requests_total{match})", "model servers"
    )
    for labels, _ in rows:
        if t.model and labels.get("model") not in {t.model, None}:
            continue
        t.model = t.model or labels.get("model")
        t.model_services.append(labels["service"])
        t.namespace = t.namespace or labels.get("namespace")
    if t.workloads:
        _, rows = query_instant(
            cx,
            f"group by (namespace, service) (http_requests_total{_sel('service', t.workloads)})",
            "http services",
        )
        t.services += [labels["service"] for labels, _ in rows]
    t.services = list(dict.fromkeys([*t.model_services, *t.services]))
    if t.model_direct:  # a model alert is about the pods that serve it
        t.workloads = list(dict.fromkeys([*t.workloads, *t.model_services]))


def _tag_refs(tags: dict[str, str]) -> list[str]:
    for key in FEATURE_TAGS:
        raw = tags.get(key)
        if not raw:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = [part.strip() for part in raw.split(",")]
        refs = [str(r) for r in value if ":" in str(r)] if isinstance(value, list) else []
        if refs:
            return refs
    return []


def _signature_refs(cx: CollectorContext, model: str, aliases: dict[str, int]) -> list[str]:
    version = aliases.get("champion") or aliases.get("production") or max(aliases.values(), default=None)
    if version is None:
        return []
    sig = cx.call(
        "mlflow.signature",
        {"model": model, "version": version},
        summary=f"signature of {model} v{version}",
        query=f"{model} v{version}",
    )
    views = cx.call("feast.list_feature_views", {}, summary="Feast feature views", query="all")
    if sig is None or views is None:
        return []
    by_name = {f["name"]: v["name"] for v in (views.data or []) for f in v.get("features", [])}
    return [
        f"{by_name[c['name']]}:{c['name']}"
        for c in (sig.data or {}).get("inputs", [])
        if c.get("name") in by_name
    ]


def _features(cx: CollectorContext, t: Targets) -> None:
    if not t.model or not (t.model_direct or t.model_services):
        return
    ev = cx.call("mlflow.get_model", {"model": t.model}, summary=f"registered model {t.model}", query=t.model)
    if ev is None:
        return
    data = ev.data or {}
    refs = _tag_refs(data.get("tags") or {}) or _signature_refs(cx, t.model, data.get("aliases") or {})
    t.features = refs
    ev.value = {"aliases": data.get("aliases"), "features": refs}
    if not t.feature_views:
        t.feature_views = list(dict.fromkeys(r.partition(":")[0] for r in refs))
    if t.feature and t.feature_views and not t.view_of(t.feature):
        t.notes.append(f"feature {t.feature} not among the model's feature refs")


def _alternation(names: list[str] | set[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names))


def _pods_of_containers(cx: CollectorContext, t: Targets) -> list[str]:
    sel = selector(namespace=t.namespace, container_re=_alternation(t.containers))
    _, rows = query_instant(
        cx, f"group by (namespace, pod) (kube_pod_container_resource_requests{sel})", "pods of the containers"
    )
    return [labels["pod"] for labels, _ in rows if labels.get("pod")]


def _owners_query(metric: str, sel: str, key: str) -> str:
    """``metric`` with ``owner_name`` copied to ``controller`` and dropped: ``owner_name`` is a name key the
    gateway's redaction pseudonymises (an account owner's name in payments data), a workload name is not."""
    renamed = f'label_replace({metric}{sel}, "controller", "$1", "owner_name", "(.*)")'
    return f"max by (namespace, {key}, owner_kind, controller) ({renamed})"


def _owner_of_pods(cx: CollectorContext, t: Targets, pods: list[str]) -> dict[str, str]:
    """pod → its controlling workload, through ReplicaSets to their Deployments."""
    sel = selector(namespace=t.namespace, pod_re=_alternation(set(pods)))
    _, rows = query_instant(
        cx, _owners_query("kube_pod_owner", sel, "pod"), f"owners of {len(set(pods))} pod(s)"
    )
    owners = {lab["pod"]: (lab.get("owner_kind"), lab.get("controller")) for lab, _ in rows if lab.get("pod")}
    sets = {name for kind, name in owners.values() if kind == "ReplicaSet" and name}
    deployments: dict[str, str] = {}
    if sets:
        rs_sel = selector(namespace=t.namespace, replicaset_re=_alternation(sets))
        query = _owners_query("kube_replicaset_owner", rs_sel, "replicaset")
        _, rows = query_instant(cx, query, "owners of the ReplicaSets")
        deployments = {lab["replicaset"]: lab["controller"] for lab, _ in rows if lab.get("controller")}
    return {pod: deployments.get(name, name) for pod, (_, name) in owners.items() if name}


def _pods_of_workloads(cx: CollectorContext, t: Targets, workloads: list[str]) -> None:
    """Each named workload's pods: owned by it, or by one of its ReplicaSets."""
    sel = selector(namespace=t.namespace, owner_name_re=_alternation(workloads))
    query = _owners_query("kube_replicaset_owner", sel, "replicaset")
    _, rows = query_instant(cx, query, "ReplicaSets of the workloads")
    owner = {lab["replicaset"]: lab["controller"] for lab, _ in rows if lab.get("replicaset")}
    owner |= {w: w for w in workloads}
    pod_sel = selector(namespace=t.namespace, owner_name_re=_alternation(set(owner)))
    _, rows = query_instant(cx, _owners_query("kube_pod_owner", pod_sel, "pod"), "pods of the workloads")
    for lab, _ in rows:
        workload = owner.get(lab.get("controller", ""))
        if workload and lab.get("pod"):
            t.pods.setdefault(workload, []).append(lab["pod"])


def _owners(cx: CollectorContext, t: Targets) -> None:
    """Replace pod and container names by their owning workloads; record every workload's pods."""
    pods = list(t.pod_names)
    if t.containers:
        pods += _pods_of_containers(cx, t)
    owners = _owner_of_pods(cx, t, pods) if pods else {}
    if owners:
        guessed = set(t.containers) | {w for w in t.workloads if any(p.startswith(w) for p in t.pod_names)}
        found = list(dict.fromkeys(owners.values()))
        t.workloads = list(dict.fromkeys([*(w for w in t.workloads if w not in guessed), *found]))
        t.direct = list(dict.fromkeys([*t.direct, *found]))
        t.notes.append(
            "workloads from owner references: " + ", ".join(f"{p} → {w}" for p, w in owners.items())
        )
    if t.workloads:
        _pods_of_workloads(cx, t, t.workloads)


def _namespace_targets(cx: CollectorContext, t: Targets) -> None:
    """An alert naming only a namespace: its model servers and its workloads."""
    sel = selector(namespace=t.namespace)
    _, rows = query_instant(cx, f"group by (service, model) (model_requests_total{sel})", "model servers")
    models = list(dict.fromkeys(lab["model"] for lab, _ in rows if lab.get("model")))
    _, rows = query_instant(cx, f"group by (label_app) (kube_pod_labels{sel})", f"workloads in {t.namespace}")
    t.workloads = list(dict.fromkeys(lab["label_app"] for lab, _ in rows if lab.get("label_app")))
    t.workloads = t.workloads[:MAX_NAMESPACE_TARGETS]
    if len(models) == 1:
        t.model = models[0]
    t.notes.append(
        f"the alert names only namespace {t.namespace}: searched its models {models} and workloads"
    )


def resolve(cx: CollectorContext) -> Targets:
    """The alert's targets, completed from the platform (every lookup through the gateway)."""
    t = cx.targets
    if t.namespace and not (t.model or t.workloads or t.feature_views or t.pod_names or t.containers):
        _namespace_targets(cx, t)
    if t.workloads or t.pod_names:
        _owners(cx, t)
    if t.workloads:
        _pods(cx, t)
    _services(cx, t)
    _features(cx, t)
    return t


def choose_collectors(t: Targets, has_runbooks: bool) -> list[str]:
    """Collector names that apply to these targets, in a stable order."""
    chosen = ["alert_expression"]
    serving = bool(t.model and (t.model_direct or t.model_services))
    if t.services:
        chosen += ["golden_signals", "traffic", "dependencies"]
    if t.workloads:
        chosen += ["saturation", "gpu", "jobs", "kube_rollout", "cost"]
    if t.model:
        chosen.append("mlflow")
    if serving:
        chosen.append("drift")
    if t.feature_views and (serving or set(t.feature_views) & set(t.direct)):
        chosen += ["feast", "freshness_metric"]
    if has_runbooks:
        chosen.append("runbook")
    return chosen
