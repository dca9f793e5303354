"""Benchmarks (run with ``make bench``): redaction throughput and quality on generated logs."""
