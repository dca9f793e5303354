"""The sandbox: real MLflow, Prometheus, Alertmanager and Feast started locally and loaded from a world."""
