"""What the HTTP app, the Slack app and the workers share: one ``Services`` object per process.

Built once at start (``build_services``) and handed to ``create_app`` and to the DBOS workers; tests
build their own with a temporary state directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.reports import ReportStore
from agents.settings import LLMSettings
from api.service.incidents import IncidentStore
from api.service.metrics import Metrics
from api.settings import ServiceSettings
from guardrails.factory import Runtime, build_runtime


@dataclass
class Services:
    """The service's dependencies (one per process; the DBOS workers reach it through ``dbos_app``).

    ``run_triage`` replaces the triage agent in the workers (``(services, alert, scope=…)`` → a report
    with ``report_id``); None runs the real agent. Only the intake benchmark's storm sets it, labelled.
    """

    runtime: Runtime
    settings: ServiceSettings
    incidents: IncidentStore
    reports: ReportStore
    llm: LLMSettings = field(default_factory=LLMSettings)
    metrics: Metrics = field(default_factory=Metrics)
    chat: Any = None
    run_triage: Callable[..., Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.runtime.close()


def build_services(
    settings: ServiceSettings | None = None,
    runtime: Runtime | None = None,
    *,
    llm: LLMSettings | None = None,
) -> Services:
    """Assemble the services from the environment (or the given parts); opening the store migrates it.

    Raises:
        pydantic.ValidationError: a setting is malformed, or production mode finds a placeholder secret.
        guardrails.store.db.StoreError: the state database cannot be opened.
    """
    from agents.llm import make_chat_model

    settings = settings or ServiceSettings()
    runtime = runtime or build_runtime()
    llm = llm or LLMSettings()
    services = Services(
        runtime=runtime,
        settings=settings,
        incidents=IncidentStore(runtime.db),
        reports=ReportStore(runtime.db, runtime.gateway.redactor),
        llm=llm,
        chat=make_chat_model(llm),
    )
    services.metrics.watch_audit(runtime)
    return services
