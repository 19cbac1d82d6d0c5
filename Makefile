# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck fmt bench schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ledgerline serve --seed-if-empty

test: $(STAMP)
	./scripts/ensure_test_deps.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# The long suite: servers as subprocesses, SIGTERM under load (docs/SCALING.md).
.PHONY: test-scale
test-scale: $(STAMP)
	$(BIN)/python -m pytest -q -m scale tests/scale

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Configuration in pyproject.toml ([tool.mypy]): strict; privacy/, auth/ and core/ to the letter.
typecheck: $(STAMP)
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.run

.PHONY: bench-quick
bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

schema: $(STAMP)
	$(BIN)/ledgerline print-schema > schema.graphql

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
