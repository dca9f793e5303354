"""Rightsizing agent: VPA-style requests from usage history, OOM safety, idle GPUs, schedules, savings."""
