"""Resolve what an alert is about, and choose the collectors that can explain it.

Labels first (``model``, ``feature_view``, ``feature``, ``service``, ``namespace``, ``workload``,
``container``, ``pod``); then the platform fills the gaps through the gateway:

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

_POD_SUFFIX = re.compile(r"-[0-9a-f]{6,10}-[0-9a-z]{1,5}$")
FEATURE_TAGS = ("features", "feature_refs", "referent.features")


def _sel(label: str, names: list[str]) -> str:
    """An exact matcher for one name, a regex alternation for several."""
    if len(names) == 1:
        return selector(**{label: names[0]})
    return selector(**{f"{label}_re": "|".join(re.escape(n) for n in names)})


def from_labels(labels: dict[str, str]) -> Targets:
    """Targets the alert's labels name directly."""
    workloads = [labels[k] for k in ("workload", "container", "service") if labels.get(k)]
    if labels.get("pod"):
        workloads.append(_POD_SUFFIX.sub("", labels["pod"]))
    workloads = list(dict.fromkeys(workloads))
    view, feature, model = labels.get("feature_view"), labels.get("feature"), labels.get("model")
    direct = [v for v in (model, view, feature, *workloads) if v]
    return Targets(
        namespace=labels.get("namespace"),
        model=model,
        model_direct=bool(model),
        workloads=workloads,
        feature_views=[view] if view else [],
        feature=feature,
        direct=direct,
    )


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


def resolve(cx: CollectorContext) -> Targets:
    """The alert's targets, completed from the platform (every lookup through the gateway)."""
    t = cx.targets
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
        chosen.append("golden_signals")
    if t.workloads:
        chosen += ["saturation", "gpu", "cost"]
    if t.model:
        chosen.append("mlflow")
    if serving:
        chosen.append("drift")
    if t.feature_views and (serving or set(t.feature_views) & set(t.direct)):
        chosen += ["feast", "freshness_metric"]
    if has_runbooks:
        chosen.append("runbook")
    return chosen
