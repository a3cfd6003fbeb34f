# appdeploy — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CRD := crds/appdeployments.appdeploy.dev.yaml
CHANNEL_CRD := crds/notificationchannels.appdeploy.dev.yaml
POLICY_CRD := crds/releasepolicies.appdeploy.dev.yaml
TEMPLATE_CRD := crds/releasetemplates.appdeploy.dev.yaml
CLUSTER_TEMPLATE_CRD := crds/clusterreleasetemplates.appdeploy.dev.yaml

.PHONY: help
help: ## Show the targets and what they do
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install
install: $(VENV)/.installed ## Create .venv and install appdeploy with its development tools

.PHONY: generate
generate: ## Regenerate the CRDs, their copies in the chart, and manifests/ (builds helm on first use)
	$(PY) -m appdeploy.api.crd --output $(CRD)
	$(PY) -m appdeploy.api.channel_crd --output $(CHANNEL_CRD)
	$(PY) -m appdeploy.api.policy_crd --output $(POLICY_CRD)
	$(PY) -m appdeploy.api.template_crd --kind ReleaseTemplate --output $(TEMPLATE_CRD)
	$(PY) -m appdeploy.api.template_crd --kind ClusterReleaseTemplate --output $(CLUSTER_TEMPLATE_CRD)
	cp $(CRD) $(CHANNEL_CRD) $(POLICY_CRD) $(TEMPLATE_CRD) $(CLUSTER_TEMPLATE_CRD) helm/appdeploy/crds/
	$(PY) -m tests.helm.manifests

GENERATED := crds/ helm/appdeploy/crds/ manifests/

.PHONY: verify
verify: generate ## Fail when generated files differ from the committed ones
	@git diff --exit-code -- $(GENERATED) || \
	  (echo "generated files are stale: run 'make generate' and commit the result" >&2; exit 1)
	@test -z "$$(git status --porcelain -- $(GENERATED))" || \
	  (echo "untracked generated files: commit them" >&2; git status --short -- $(GENERATED); exit 1)

.PHONY: vendor
vendor: install ## Fetch the console's JavaScript pinned in its vendor.lock.json from the npm registry (integrity-checked); edit a version there to update
	$(PY) -m tools.vendor_js

.PHONY: lint
lint: ## ruff (lint + format check) and the import contracts (engine/api stay pure)
	$(BIN)/ruff check operator tests demo bench tools
	$(BIN)/ruff format --check operator tests demo bench tools
	PYTHONPATH=operator $(BIN)/lint-imports

.PHONY: format
format: ## Format the code with ruff
	$(BIN)/ruff format operator tests demo bench tools
	$(BIN)/ruff check --fix operator tests demo bench tools

.PHONY: typecheck
typecheck: ## mypy --strict on operator/ and tools/
	$(BIN)/mypy

.PHONY: test-unit
test-unit: ## Unit and property tests with engine coverage
	$(BIN)/pytest tests/unit tests/cluster/test_units.py demo --cov=appdeploy.engine --cov=appdeploy.api --cov-report=term-missing:skip-covered

.PHONY: test-integration
test-integration: ## Tests against the local Kubernetes control plane (builds it on first use)
	$(BIN)/pytest tests/integration tests/cluster/test_faults.py

.PHONY: test-helm
test-helm: ## The chart: lint, render, dry-run, least-privilege and role stories, upgrade render
	$(BIN)/pytest tests/helm

.PHONY: helm-build
helm-build: ## Build (or reuse) the helm CLI from the helm.sh/helm/v3 Go module
	tests/helm/build.sh

.PHONY: kstatus-build
kstatus-build: ## Build (or reuse) the kstatus checker from the sigs.k8s.io/cli-utils Go module
	tests/kstatus/build.sh

.PHONY: test
test: install verify lint typecheck test-unit test-integration test-helm ## Everything CI runs

.PHONY: cluster-build
cluster-build: ## Build (or reuse) the local control plane binaries from Go modules
	tests/cluster/build.sh

.PHONY: cluster-up
cluster-up: install ## Start the local control plane; prints the admin kubeconfig path
	$(PY) -m tests.cluster up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane
	$(PY) -m tests.cluster down

.PHONY: cluster-status
cluster-status: ## Show the local control plane's processes and health
	$(PY) -m tests.cluster status

.PHONY: demo
demo: install ## Run a release end to end on the local control plane, approvals signed, people notified through fakes on 127.0.0.1 (AUTO_APPROVE=1: approve by itself)
	$(PY) -m demo $(if $(filter-out 0 false no,$(AUTO_APPROVE)),--auto-approve) $(DEMO_ARGS)

.PHONY: screenshots
screenshots: install ## Retake docs/images/console-*.png: the console in headless Chromium on a cluster named screenshots (SCREENSHOT_ARGS="--kubeconfig FILE": any running one)
	$(PY) -m demo.screenshots $(SCREENSHOT_ARGS)

FUZZ_EXAMPLES ?= 10000
FUZZ_SEED ?= 0

.PHONY: fuzz
fuzz: install ## Judge FUZZ_EXAMPLES generated specs (default 10000) by parse_spec, webhook, CRD, plan
	$(PY) -m tests.fuzz --examples $(FUZZ_EXAMPLES) --seed $(FUZZ_SEED)

.PHONY: chaos
chaos: install ## Chaos suite: 50 releases, signed approvals, 20 operator kills + failpoints, API server and etcd restarts (QUICK=1, CHAOS_ARGS=...; docs/reliability.md)
	$(PY) -m bench.chaos $(if $(filter-out 0 false no,$(QUICK)),--quick) $(CHAOS_ARGS)

.PHONY: bench
bench: install ## Performance figures: 200 releases at once on a local cluster named bench (see docs/benchmarks.md)
	$(PY) -m bench

.PHONY: bench-notifications
bench-notifications: install ## 200 gates notifying a channel that answers in 2 s: reconcile and delivery latency, duplicates (BENCH_ARGS=...)
	$(PY) -m bench.notifications $(BENCH_ARGS)

.PHONY: bench-console
bench-console: install ## The console: the list page with 1,000 releases, status write → DOM change in Chromium (BENCH_ARGS=...)
	$(PY) -m bench.console $(BENCH_ARGS)
