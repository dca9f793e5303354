"""The only door from an agent to the world: redaction, policy, approvals, audit, budgets."""
