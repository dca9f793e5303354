"""Scenario suites, the harness, scorers and the sandbox worlds the agents run against."""
