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

# --- Packaging: the PyInstaller bundle and the desktop integration (packaging/README.md) ---
APP_ID := io.github.humanaes.HumanAesDesktop
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
BUNDLE := dist/humanaes-desktop
ARCHIVE := dist/humanaes-desktop-$(VERSION)-linux-$(shell uname -m).tar.zst
BUNDLE_TOOLS := $(VENV)/.bundle-tools
PREFIX ?= $(HOME)/.local
APP_DIR ?=

.PHONY: dist test-bundle install-desktop icons

$(BUNDLE_TOOLS): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bundle]'
	touch $(BUNDLE_TOOLS)

# The onedir bundle (both programs, the menu entry, an installer script) and its .tar.zst.
dist: $(BUNDLE_TOOLS)
	rm -rf $(BUNDLE) $(ARCHIVE)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/pyinstaller/humanaes-desktop.spec
	APP_DIR= sh packaging/linux/install-desktop.sh $(BUNDLE) >/dev/null
	rm -f $(BUNDLE)/share/applications/mimeinfo.cache
	install -m755 packaging/linux/install-desktop.sh $(BUNDLE)/install-desktop.sh
	tar -C dist --sort=name --owner=0 --group=0 --numeric-owner -cf - humanaes-desktop | zstd -q -T0 -10 --long=27 -f -o $(ARCHIVE)
	$(BIN)/python packaging/bundle_size.py --warn-only $(BUNDLE) $(ARCHIVE)

# Builds the bundle, then checks it (frozen --self-test, both programs, size limit): what CI runs.
test-bundle: dist
	HUMANAES_TEST_BUNDLE=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests/packaging/test_bundle.py

install-desktop:
	APP_DIR="$(APP_DIR)" sh packaging/linux/install-desktop.sh "$(PREFIX)"

icons: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/linux/render_icons.py
