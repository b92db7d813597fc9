# Two commands matter: `make run` (the whole stack locally) and `make test` (every test).
# Both install what they need first; nothing has to be installed by hand but Python 3.11+.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test test-fast lint fmt bench bench-quick lock requirements package clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-extras --quiet
	touch $@

setup: $(VENV)/.synced

run: setup
	$(PY) -m emulators $(ARGS)

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: setup
	$(PY) -m benchmarks $(ARGS)

bench-quick: setup
	$(PY) -m benchmarks --quick

lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) build dist .pytest_cache
