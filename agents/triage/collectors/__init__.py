"""Triage collectors: each gathers one kind of evidence through the gateway and reports findings."""
