"""HTTP routes of the service: webhooks, REST /v1, operations (health, readiness, metrics)."""
