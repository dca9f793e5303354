"""The periodic audit checkpoint on a real DBOS launch (SQLite): `referent serve`'s launch installs the
schedule, each tick appends a signed checkpoint, and the chain then verifies against them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dbos import DBOS

from guardrails.checkpoints import _files, checkpoint_location, read_checkpoints, verify_with_checkpoints


def test_launch_installs_the_schedule_and_ticks_write_signed_checkpoints(
    service_factory: Callable[..., tuple[Any, Any]],
) -> None:
    from api.workers import audit_checkpoints, finops

    _client, services = service_factory(audit_checkpoint_cron="*/2 * * * * *")
    names = {s["schedule_name"]: s["schedule"] for s in DBOS.list_schedules()}
    assert names[audit_checkpoints.SCHEDULE_NAME] == "*/2 * * * * *"
    assert finops.SCHEDULE_NAME in names  # both schedules come from the launch itself

    directory, _ = checkpoint_location(services.runtime.settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_files(directory)) < 2:
        time.sleep(0.5)
    found = read_checkpoints(directory)
    assert len(found) >= 2, "no periodic checkpoints were written"
    assert [c.number for c in found] == sorted(c.number for c in found)
    verdict = verify_with_checkpoints(services.runtime.audit, directory)
    assert verdict.ok, verdict


def test_a_bad_cron_refuses_to_start(service_factory: Callable[..., tuple[Any, Any]]) -> None:
    import pytest

    with pytest.raises(ValueError, match="REFERENT_AUDIT_CHECKPOINT_CRON"):
        service_factory(audit_checkpoint_cron="every tuesday")


def test_a_refused_start_leaves_nothing_launched(service_factory: Callable[..., tuple[Any, Any]]) -> None:
    import pytest

    from api.workers import dbos_app

    with pytest.raises(ValueError):
        service_factory(finops_cron="not a cron")
    assert not dbos_app.launched()
    _client, services = service_factory()  # the next start gets its own services, not the refused ones
    assert dbos_app.services() is services
