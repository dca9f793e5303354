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

.PHONY: demo test unit integration bench lint fmt typecheck system-deps venv clean

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

clean:
	$(VENV)/bin/referent sandbox down 2>/dev/null || true
	rm -rf $(VENV) .referent .sandbox
