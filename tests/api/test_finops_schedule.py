"""The scheduled FinOps report on a real DBOS launch (SQLite), with a cron of every few seconds: built by
the same function as ``referent finops report``, stored, served as a page and posted through the gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr

from evals.sandbox.slack_recorder import SlackRecorder
from tools.settings import PlatformSettings

BOT = "xoxb-recorder-token"
PUBLIC = "http://referent.test"


def _wait_for(check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"nothing after {timeout:.0f}s")


def test_scheduled_report_is_built_stored_served_and_posted(
    service_factory: Callable[..., tuple[Any, Any]], recorder: SlackRecorder
) -> None:
    from api.workers import finops

    platform = PlatformSettings(slack_bot_token=SecretStr(BOT), slack_api_url=recorder.api_url)
    client, services = service_factory(
        platform=platform, public_url=PUBLIC, slack_channel="C0FINOPS", finops_cron="*/3 * * * * *"
    )
    finops.install_schedule(services)  # create-or-replace: harmless when the launch installed it too
    [schedule] = [s for s in DBOS.list_schedules() if s["schedule_name"] == finops.SCHEDULE_NAME]
    assert schedule["schedule"] == "*/3 * * * * *"

    posted = _wait_for(lambda: recorder.requests("chat.postMessage"))[0]["body"]
    assert posted["channel"] == "C0FINOPS"
    [stored] = [s for s in services.reports.list(kind="finops") if s.id in posted["text"]]
    assert stored.run_id.startswith("finops-")
    url = f"{PUBLIC}/finops/reports/{stored.id}"
    assert url in posted["text"] and any(url in str(block) for block in posted["blocks"])

    def post_record() -> Any:
        return [r for r in services.runtime.audit.tail(2000) if r.tool == "slack.post_message"]

    post = _wait_for(post_record)[0]  # audited right after Slack answered
    assert (post.principal, post.decision, post.outcome) == ("agent:rightsizing", "allow", "ok")
    billing = [r for r in services.runtime.audit.tail(2000) if r.tool == "billing.totals"]
    assert billing and billing[0].principal == "agent:rightsizing"  # the CLI's principal and path

    page = client.get(f"/finops/reports/{stored.id}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "FinOps report" in page.text

    bad = services.settings.model_copy(update={"finops_cron": "every monday"})
    with pytest.raises(ValueError, match="REFERENT_FINOPS_CRON"):
        finops.install_schedule(SimpleNamespace(settings=bad))
