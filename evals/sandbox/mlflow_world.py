"""The MLflow part of a sandbox world: a real ``mlflow server`` and a loader for the world's models.

``start_mlflow`` runs ``mlflow server`` (SQLite backend store, artifacts served by the server from a
local directory) in its own process group, with telemetry and the 3.x job runner switched off.

``load_models`` writes every :class:`~evals.worlds.schema.ModelSpec` through the public client API:
a registered model (description, tags, and the declared ``metric_directions`` as the tag of that name
the promotion gates read), one experiment per model, one run per version (params and metrics
time-stamped from the anchor), a small pyfunc model saved with the version's real MLflow signature and
logged as a LoggedModel, the model version (tags, description), and the alias history applied in time
order. MLflow cannot back-date a version's ``creation_timestamp`` nor keeps alias history, so the
anchor-relative times live in the ``referent.created_at`` version tag and the
``referent.alias_history`` registered-model tag that :mod:`tools.mlflow_registry` reads. A world with
``alias_history_tag: false`` is a stock registry: the final aliases are set, the history tag is not.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlflow.entities import LoggedModelStatus, Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel, save_model
from mlflow.tracking import MlflowClient

from evals.sandbox import processes
from evals.sandbox.processes import ServerProcess
from evals.worlds.schema import ModelSpec, ModelVersionSpec, World
from tools.mlflow_registry import CREATED_AT_TAG, HISTORY_TAG

SERVER_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "FEAST_USAGE": "False",
    "PYTHONUNBUFFERED": "1",
}
MODEL_TAG = "referent.model"
VERSION_TAG = "referent.version"
DIRECTIONS_TAG = "metric_directions"


def start_mlflow(directory: Path, *, ready_timeout_s: float = 120.0) -> tuple[ServerProcess, str]:
    """Start ``mlflow server`` on a free local port and wait for ``/health``.

    Args:
        directory: holds ``mlflow.db``, ``artifacts/`` and ``mlflow.log``.
        ready_timeout_s: how long to wait for ``/health`` (the first start creates the schema).

    Returns:
        The server process (its pid is the process-group id) and the tracking URI.

    Raises:
        SandboxError: the server exited or did not become ready (it is stopped first).
    """
    directory = directory.resolve()
    (directory / "artifacts").mkdir(parents=True, exist_ok=True)
    port = processes.free_port()
    argv = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{directory / 'mlflow.db'}",
        "--serve-artifacts",
        "--artifacts-destination",
        str(directory / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    proc = processes.start("mlflow", argv, port=port, log_dir=directory, env=SERVER_ENV, cwd=directory)
    uri = f"http://127.0.0.1:{port}"
    try:
        processes.wait_http(f"{uri}/health", timeout_s=ready_timeout_s, proc=proc)
    except processes.SandboxError:
        processes.stop(proc)
        raise
    return proc, uri


@dataclass
class LoadReport:
    """What ``load_models`` did: models created, models already present, seconds spent."""

    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load_models(world: World, anchor: datetime, tracking_uri: str) -> LoadReport:
    """Load every model of ``world`` into the server at ``tracking_uri``; idempotent.

    A model whose registered versions already match the world (and that carries the alias history
    tag) is skipped; a partially loaded one is deleted and loaded again.

    Args:
        world: the declarative world.
        anchor: the world's "now"; every ``*_ago`` is measured back from it.
        tracking_uri: the MLflow server.

    Returns:
        Which models were loaded or skipped, and how long it took.
    """
    started = time.monotonic()
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    report = LoadReport()
    for spec in world.models:
        _check_versions(spec)
        if _already_loaded(client, spec, world.alias_history_tag):
            report.skipped.append(spec.name)
            continue
        _load_model(client, spec, anchor, world.alias_history_tag)
        report.loaded.append(spec.name)
    report.seconds = time.monotonic() - started
    return report


def alias_events(spec: ModelSpec, anchor: datetime) -> list[dict[str, Any]]:
    """The world's alias history as ``referent.alias_history`` records, oldest first."""
    current: dict[str, int] = {}
    events = []
    for ev in sorted(spec.alias_history, key=lambda e: -e.ago.total_seconds()):
        events.append(
            {
                "alias": ev.alias,
                "version": ev.version,
                "previous_version": current.get(ev.alias),
                "at": (anchor - ev.ago).isoformat(),
                "by": ev.by,
            }
        )
        current[ev.alias] = ev.version
    return events


def final_aliases(spec: ModelSpec) -> dict[str, int]:
    """Alias → version after the last event for each alias (what MLflow shows once loaded)."""
    ordered = sorted(spec.alias_history, key=lambda e: -e.ago.total_seconds())
    return {ev.alias: ev.version for ev in ordered}


def _check_versions(spec: ModelSpec) -> None:
    numbers = sorted(v.version for v in spec.versions)
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(
            f"model {spec.name}: versions must be 1..n without gaps (MLflow numbers them), got {numbers}"
        )


def _already_loaded(client: MlflowClient, spec: ModelSpec, history_tag: bool = True) -> bool:
    try:
        model = client.get_registered_model(spec.name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    versions = {int(v.version) for v in client.search_model_versions(f"name = '{spec.name}'")}
    if versions == {v.version for v in spec.versions} and (HISTORY_TAG in model.tags) == history_tag:
        return True
    client.delete_registered_model(spec.name)
    return False


def model_tags(spec: ModelSpec) -> dict[str, str]:
    """The registered model's tags: the world's, plus ``metric_directions`` (JSON) when declared.

    ``metric_directions`` is the tag the promotion gates read (``auc:max``-style or a JSON object).
    """
    tags = dict(spec.tags)
    if spec.metric_directions:
        tags[DIRECTIONS_TAG] = json.dumps(spec.metric_directions, sort_keys=True)
    return tags


def _load_model(client: MlflowClient, spec: ModelSpec, anchor: datetime, history_tag: bool = True) -> None:
    """Register the model, its versions and final aliases; the alias history tag only if ``history_tag``."""
    client.create_registered_model(spec.name, tags=model_tags(spec), description=spec.description)
    experiment_id = _experiment(client, spec.name)
    for version in sorted(spec.versions, key=lambda v: v.version):
        _load_version(client, spec, version, experiment_id, anchor)
    events = alias_events(spec, anchor)
    for alias, number in final_aliases(spec).items():
        client.set_registered_model_alias(spec.name, alias, str(number))
    if history_tag:  # a stock registry has aliases but no record of their moves
        client.set_registered_model_tag(spec.name, HISTORY_TAG, json.dumps(events))


def _experiment(client: MlflowClient, model: str) -> str:
    name = f"{model}-training"
    existing = client.get_experiment_by_name(name)
    if existing is None:
        return client.create_experiment(name, tags={MODEL_TAG: model})
    stale = client.search_runs([existing.experiment_id], filter_string=f"tags.`{MODEL_TAG}` = '{model}'")
    for run in stale:  # left by an interrupted load: the versions that used them are gone
        client.delete_run(run.info.run_id)
    return str(existing.experiment_id)


def _load_version(
    client: MlflowClient, spec: ModelSpec, v: ModelVersionSpec, experiment_id: str, anchor: datetime
) -> None:
    created_ms = int((anchor - v.created_ago).timestamp() * 1000)
    run = client.create_run(
        experiment_id,
        start_time=created_ms - 45 * 60 * 1000,
        run_name=f"{spec.name}-v{v.version}",
        tags={MODEL_TAG: spec.name, VERSION_TAG: str(v.version)},
    )
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(val), created_ms, 0) for k, val in v.metrics.items()],
        params=[Param(k, str(val)) for k, val in v.params.items()],
    )
    model_id = _log_model(client, spec, v, experiment_id, run_id)
    client.set_terminated(run_id, "FINISHED", end_time=created_ms)
    tags = {**v.tags, CREATED_AT_TAG: (anchor - v.created_ago).isoformat()}
    mv = client.create_model_version(
        spec.name,
        f"models:/{model_id}",
        run_id=run_id,
        tags=tags,
        description=v.description,
        model_id=model_id,
    )
    if int(mv.version) != v.version:
        raise RuntimeError(
            f"{spec.name}: MLflow numbered the version {mv.version}, the world says {v.version}"
        )


def _log_model(
    client: MlflowClient, spec: ModelSpec, v: ModelVersionSpec, experiment_id: str, run_id: str
) -> str:
    """Save a pyfunc model with the version's signature and upload it as a LoggedModel; its id."""

    logged = client.create_logged_model(
        experiment_id,
        name="model",
        source_run_id=run_id,
        params={k: str(x) for k, x in v.params.items()},
        model_type="pyfunc",
    )
    with (
        tempfile.TemporaryDirectory(prefix="referent-model-") as tmp,
        warnings.catch_warnings(),
        _quiet("mlflow.pyfunc"),
    ):
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model"
        save_model(
            str(path),
            python_model=ConstantScorer(),
            signature=_signature(v),
            pip_requirements=["mlflow-skinny"],
            metadata={"referent.world_model": spec.name},
        )
        client.log_model_artifacts(logged.model_id, str(path))
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    return str(logged.model_id)


def _signature(v: ModelVersionSpec) -> Any:
    if not v.inputs and not v.outputs:
        return None
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec(f.type, f.name) for f in v.inputs]) if v.inputs else None,
        outputs=Schema([ColSpec(f.type, f.name) for f in v.outputs]) if v.outputs else None,
    )


with warnings.catch_warnings():  # MLflow asks for type hints; the signature comes from the world instead
    warnings.simplefilter("ignore")

    class ConstantScorer(PythonModel):
        """A stand-in for the trained model: scores every row 0.5 (the registry entry is what matters)."""

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return [0.5] * len(model_input)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence one logger (MLflow's cloudpickle notice on every save) for the duration."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
