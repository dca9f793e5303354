"""Durable background work on DBOS: triage of alerts (``triage``), scheduled FinOps reports and Slack
jobs. ``dbos_app.launch`` imports every module of this package before ``DBOS.launch()`` so all their
workflows are registered."""
