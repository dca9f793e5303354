"""The periodic audit checkpoint: a DBOS cron workflow that anchors the audit chain outside the database.

Each tick verifies the chain against the checkpoints already written and appends one Ed25519-signed
checkpoint (sequence, head hash, time, previous checkpoint) to ``REFERENT_AUDIT_CHECKPOINT_DIR`` with
:func:`guardrails.checkpoints.write_checkpoint` — the same function as ``referent audit checkpoint``.
The schedule is ``REFERENT_AUDIT_CHECKPOINT_CRON`` (every 15 minutes by default); DBOS starts each tick
once across replicas (workflow id = schedule + tick time).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from dbos import DBOS

from api.workers import dbos_app

log = logging.getLogger("referent.audit")

SCHEDULE_NAME = "referent-audit-checkpoint"


@DBOS.step(name="referent.audit.checkpoint.write")
def _write() -> dict[str, Any]:
    from guardrails.checkpoints import checkpoint_location, signing_key, write_checkpoint

    runtime = dbos_app.services().runtime
    directory, key_file = checkpoint_location(runtime.settings)
    checkpoint = write_checkpoint(runtime.audit, directory, signing_key(key_file))
    return {"number": checkpoint.number, "seq": checkpoint.seq}


@DBOS.workflow(name="referent.audit.checkpoint")
def scheduled_checkpoint(scheduled_time: datetime, context: Any) -> dict[str, Any]:
    """One tick: verify the chain against earlier checkpoints and append a signed one."""
    try:
        return _write()
    except Exception as exc:  # a broken chain is reported loudly and never checkpointed
        log.error("audit checkpoint at %s not written: %s", scheduled_time.isoformat(), exc)
        return {"error": str(exc)}


def install_schedule(services: Any) -> None:
    """Create or replace the checkpoint schedule with ``services.settings.audit_checkpoint_cron``.

    Raises:
        ValueError: the cron expression is not valid.
    """
    dbos_app.apply_schedule(
        SCHEDULE_NAME,
        scheduled_checkpoint,
        services.settings.audit_checkpoint_cron,
        "REFERENT_AUDIT_CHECKPOINT_CRON",
    )
