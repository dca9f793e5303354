"""The report pages in a real headless browser (Debian's chromium driven by Playwright) on a real uvicorn
server: an incident with its triage report and evidence, a FinOps report with its SVG charts, markup
from an alert shown as text (never run), and a 404 page. Screenshots are saved in the test's tmp dir."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tools.settings import PlatformSettings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
INJECTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"
    ),
]


@pytest.fixture
def services(tmp_path: Path, kit: Any) -> Iterator[Any]:
    svc = kit.make_services(tmp_path / "state", platform=PlatformSettings(), public_url="http://x")
    yield svc
    svc.close()


@pytest.fixture
def base_url(services: Any) -> Iterator[str]:
    """The full app (create_app mounts the pages router) served by uvicorn on a free loopback port."""
    import uvicorn

    from api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services, launch_workers=False), host="127.0.0.1", port=0, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _incident(services: Any) -> str:
    """A real triage run (no sources configured: it abstains and says so) attached to an open incident."""
    from agents.deps import AgentDeps
    from agents.triage import run_triage
    from api.service.incidents import Incident
    from guardrails.gateway import CallContext

    alert: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "FraudScorerHighLatency", "severity": "critical", "model": "fraud-scorer"},
        "annotations": {"summary": f"p99 above 300ms {INJECTED}"},
        "startsAt": "2026-12-06T01:00:00Z",
        "fingerprint": "0123456789abcdef",
    }
    deps = AgentDeps(gateway=services.runtime.gateway, ctx=CallContext("agent:triage", "pages-run-1"))
    report = run_triage(deps, alert, store=services.reports)
    incident = Incident(
        id="inc-pages-test",
        fingerprint="0123456789abcdef",
        alertname="FraudScorerHighLatency",
        status="triaging",
        severity="critical",
        source="alertmanager",
        labels=alert["labels"],
        annotations=alert["annotations"],
        starts_at=datetime(2026, 12, 6, 1, tzinfo=UTC),
        ends_at=None,
    )
    services.incidents.open(incident)
    services.incidents.add_report(incident.id, str(report.report_id))
    return incident.id


def _finops(services: Any) -> str:
    from agents.finops.models import DailyCost, FinOpsReport, Mover, ProviderCost, WaterfallStep

    start = date(2026, 11, 1)
    report = FinOpsReport(
        run_id="finops-pages",
        generated_at=datetime(2026, 12, 6, 8, tzinfo=UTC),
        providers=[ProviderCost(provider="AWS", currency="USD", billed_cost=1234.5, effective_cost=1100.0,
                                list_cost=1500.0, rows=420)],
        daily=[DailyCost(day=start + timedelta(days=i), cost=30 + (i % 7) * 4.5) for i in range(30)],
        movers=[Mover(key="AmazonEC2", previous=300, current=420), Mover(key="AmazonS3", previous=90, current=60)],
        waterfall=[WaterfallStep(label="current run-rate", value=900, kind="total"),
                   WaterfallStep(label="rightsizing", value=-120, kind="delta"),
                   WaterfallStep(label="projected", value=780, kind="total")],
    )  # fmt: skip
    return services.reports.save(
        kind="finops", run_id=report.run_id, subject="all", body_json=report.model_dump_json(), markdown="# x"
    )


def test_incident_page_in_the_browser(services: Any, base_url: str, browser: Any, tmp_path: Path) -> None:
    incident_id = _incident(services)
    page = browser.new_page()
    response = page.goto(f"{base_url}/incidents/{incident_id}")
    assert response is not None and response.status == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert page.title() == f"FraudScorerHighLatency — incident {incident_id}"
    assert page.inner_text("#status") == "open"
    assert page.locator("section.report").count() == 1
    assert "FraudScorerHighLatency" in page.inner_text("section.report")
    assert "window.__pwned" in page.inner_text("#labels")  # shown as text
    assert page.evaluate("window.__pwned") is None  # never run
    shot = tmp_path / "incident.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_finops_page_with_charts_in_the_browser(
    services: Any, base_url: str, browser: Any, tmp_path: Path
) -> None:
    report_id = _finops(services)
    page = browser.new_page()
    response = page.goto(f"{base_url}/finops/reports/{report_id}")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().startswith("FinOps report")
    assert page.locator("svg").count() >= 3  # trend, movers, waterfall
    box = page.locator("svg").first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    shot = tmp_path / "finops.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_unknown_ids_are_404_pages(services: Any, base_url: str, browser: Any) -> None:
    page = browser.new_page()
    for path in ("/incidents/inc-nope", "/finops/reports/finops-nope"):
        response = page.goto(base_url + path)
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Not found"
