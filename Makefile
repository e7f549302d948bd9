# One list of commands. `make help` prints it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.DEFAULT_GOAL := help
.PHONY: help venv run test lint fmt unit integration e2e chaos-short zones fuzz browser deploy-check chaos bench profile clean

help: ## Show this list
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed ## Create the virtual environment and install the pinned packages

run: venv ## Run the whole system on 127.0.0.1 (ports 8000-8600, Redis 6380) until Ctrl-C
	$(BIN)/python -m devstack

# `make test` runs every step even when one fails, so that its closing summary is complete,
# then tests.summary exits non-zero if a step failed, errored or collected no tests, and,
# under CI=true, if any test was skipped.
CHECKS  := lint
TIERS   := unit integration e2e chaos-short zones fuzz browser deploy-check
RESULTS := var/test-results
# a tier's pytest; it leaves its counts, skip reasons and exit status in $(RESULTS)/<tier>.json
TIER     = $(PYTEST) -p tests.results --tier-results=$(RESULTS)/$@.json

test: venv ## Lint and every test tier, then one summary of all (CI=true: a skip fails it)
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@for step in $(CHECKS) $(TIERS); do \
		$(MAKE) --no-print-directory $$step; echo $$? > $(RESULTS)/$$step.status; \
	done
	@$(BIN)/python -m tests.summary --results $(RESULTS) $(addprefix --check ,$(CHECKS)) $(TIERS)

lint: venv ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy envelope servicekit devstack cloud_service hospital_gateway \
		integration_platform insurance_frontend simulators bench
	$(BIN)/mypy deploy/gunicorn

fmt: venv ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: venv ## Unit tests (pure logic, fakes)
	$(TIER) tests/unit -q

integration: venv ## Integration tests (one app, real Redis and databases)
	$(TIER) tests/integration -q

e2e: venv ## End-to-end tests (every service a real gunicorn process)
	$(TIER) tests/e2e -q

chaos-short: venv ## About 30 orders while services are SIGKILLed and replies dropped (in make test)
	$(TIER) tests/chaos -q

chaos: venv ## 200+ orders under SIGKILLs, lost replies, late notifications and a busy process per core (CHAOS_ARGS=--no-contention: none); report in var/chaos/
	$(BIN)/python -m tests.chaos.run --orders 200 $(CHAOS_ARGS)

zones: venv ## The zones in network namespaces (needs root and `ip netns`; skipped otherwise)
	$(TIER) tests/zones -q -rs

fuzz: venv ## hypothesis over envelopes, schemathesis over the patient API
	$(TIER) tests/fuzz -q

browser: venv ## Browser tests: Playwright drives Debian's chromium (skipped without it)
	$(TIER) tests/browser -q -rs

deploy-check: venv ## docker-compose config, and the compose file's commands run as local processes
	$(TIER) tests/deploy -q

bench: venv ## Benchmarks on this machine (starts its own stack on free ports); prints a table
	$(BIN)/python -m bench

profile: venv ## Where each service's CPU goes during insured registrations (py-spy)
	$(BIN)/python -m bench.profile

clean: ## Remove the virtual environment and local state (var/)
	rm -rf $(VENV) var
