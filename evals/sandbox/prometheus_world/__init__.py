"""A world's time series, backfilled into a real Prometheus (and an Alertmanager next to it).

Samples run from ``anchor - world.history`` to ``anchor + world.future`` every ``world.step`` (5m), so
instant queries at "now" keep answering for ``world.future`` after ``sandbox up``. Values are
deterministic for a given world, anchor and ``world.seed``. Because samples are 5m apart, use range
windows of at least 10m (15m recommended) in ``rate()`` / ``increase()``.

Metric catalogue (agents and rules rely on these exact names and labels)::

  kube_pod_labels{namespace,pod,label_app,label_team,label_env[,label_model]}            1
  kube_pod_owner{namespace,pod,owner_kind,owner_name} / kube_replicaset_owner{namespace,replicaset,owner_kind,owner_name}  1
  kube_job_status_failed / kube_job_status_succeeded{namespace,job_name}                    0/1 (batch, training, feature-pipeline)
  kube_deployment_metadata_generation / kube_deployment_status_observed_generation{namespace,deployment}  +1 per rollout
  kube_pod_container_status_waiting_reason{namespace,pod,container,reason="CrashLoopBackOff"}  1 (crash-looping pods)
  kube_pod_container_resource_requests{namespace,pod,container,resource,unit}            cpu/core, memory/byte,
  kube_pod_container_resource_limits{namespace,pod,container,resource,unit}                nvidia_com_gpu/integer
  container_cpu_usage_seconds_total{namespace,pod,container}                             counter
  container_memory_working_set_bytes{namespace,pod,container}                            gauge
  container_cpu_cfs_periods_total / container_cpu_cfs_throttled_periods_total{...}       counters (CPU limit set)
  kube_pod_container_status_restarts_total{namespace,pod,container}                      counter
  kube_pod_container_status_last_terminated_reason{namespace,pod,container,reason="OOMKilled"}  0/1
  DCGM_FI_DEV_GPU_UTIL / DCGM_FI_DEV_FB_USED{gpu,UUID,modelName,Hostname,namespace,pod,container}  % / MiB
  model_requests_total{namespace,service,model,version,code}                             counter, code 200|500
  model_request_duration_seconds_bucket|_sum|_count{namespace,service,model,version[,le]}  histogram
  http_requests_total{namespace,service,code}                                            counter (no model)
  http_request_duration_seconds_bucket|_sum|_count{namespace,service[,le]}               histogram
  dependency_request_duration_seconds_bucket|_sum|_count{namespace,service,dependency,code[,le]}  client-side histogram
  http_client_request_duration_seconds_bucket|...{namespace,job,server_address,http_response_status_code[,le]}  (OpenTelemetry)
  model_feature_psi{namespace,model,feature_view,feature}                                gauge
  model_prediction_psi{namespace,model}                                                  gauge
  feast_feature_view_last_materialization_timestamp_seconds{feature_view}                unix seconds
  feast_feature_view_materialization_interval_seconds{feature_view}                      expected schedule
  up{job,instance[,namespace,pod]}                                                       1 (0 at OOM restarts)

Pods are ``<workload>-<stable hash>-<i>`` (see :func:`pod_names`), container = workload name,
``label_app`` = workload name, ``service`` = workload name, ``version`` = the model's champion version
at that time (from the alias history). Usage follows ``mean * (1 + diurnal * sin)`` peaking at 15:00
America/Sao_Paulo, with multiplicative noise, a daily batch spike up to ``peak`` and near-zero nights
(20:00-08:00) and weekends for ``off_hours_idle``. Healthy feature views keep materializing on schedule
after the anchor; a ``stale_feature_view`` incident freezes its view from ``start_ago``.

Incidents: ``bad_model_version`` (version label switches, 5xx ratio x magnitude, latency x2, prediction
PSI up), ``stale_feature_view`` (freshness frozen, the view's feature PSI rises slowly),
``online_offline_skew`` (prediction PSI rises to 0.08 x magnitude, the feature's PSI to 0.12),
``input_drift`` (the feature's PSI ramps to magnitude over 1h), ``oom`` (memory climbs to the limit,
OOMKilled, restarts, repeat), ``cpu_saturation`` (usage at the limit, >50% throttled periods, latency x3),
``idle_gpu`` (DCGM utilization ~0 while the GPU request stays), ``failed_job`` (``kube_job_status_failed``),
``traffic_surge`` (request rate x magnitude, CPU x magnitude up to the limit and throttled, latency up,
errors per version unchanged), ``degraded_dependency`` (the caller's client-side calls to one dependency
~10x slower with timeouts, the caller ~3x slower), ``crash_loop_after_rollout`` (Deployment generation +1,
a new ReplicaSet whose pod restarts and waits in CrashLoopBackOff).

Modules: ``clock`` (the sample grid), ``families`` (series containers, OpenMetrics writing), ``signals``
(seeded randomness, usage profiles, incident lookup), ``workloads`` (pod, resource, CPU/memory, OOM and
GPU series), ``models`` (traffic, request, drift and freshness series), ``openmetrics`` (a world rendered
to OpenMetrics files, ``promtool`` backfill) and ``servers`` (Prometheus / Alertmanager configs and start,
alert rules).
"""

from evals.sandbox.prometheus_world.clock import LOCAL_TZ
from evals.sandbox.prometheus_world.models import BUCKETS
from evals.sandbox.prometheus_world.openmetrics import (
    BLOCK_S,
    backfill,
    render_openmetrics,
    render_openmetrics_chunks,
)
from evals.sandbox.prometheus_world.servers import (
    RULES_FILE,
    alertmanager_config,
    prometheus_config,
    render_rules,
    start_alertmanager,
    start_prometheus,
)
from evals.sandbox.prometheus_world.workloads import GIB, pod_names

__all__ = [
    "BLOCK_S",
    "BUCKETS",
    "GIB",
    "LOCAL_TZ",
    "RULES_FILE",
    "alertmanager_config",
    "backfill",
    "pod_names",
    "prometheus_config",
    "render_openmetrics",
    "render_openmetrics_chunks",
    "render_rules",
    "start_alertmanager",
    "start_prometheus",
]
