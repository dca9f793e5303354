"""The long-running service: what ``referent serve`` holds (runtime, stores, settings, metrics)."""
