"""LangGraph agents: triage, runbook, rightsizing (FinOps) and promotion checks."""
