"""The eval harness: scenario files, the runner over the real sandbox, reports and the CI gate."""
