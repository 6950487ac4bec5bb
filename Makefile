# Two commands do everything on a fresh machine:
#   make run    -> creates .venv (CPU torch pin) if needed, starts the desktop app
#   make test   -> creates .venv if needed, runs the whole test suite offscreen
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint typecheck bench venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,cluster]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/humanaes-desktop

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# mypy over the core layers (engine, library, pipeline; see [tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py

clean:
	rm -rf $(VENV)
