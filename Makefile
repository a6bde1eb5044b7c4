# Two commands on a fresh machine:  `make demo` (set up + build the embedded default)  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PART ?= xcvu9p
# HGQ v1, optional (HGQ models): its metadata asks for keras<3, which TensorFlow 2.21 excludes, so it cannot be a
# pip extra of codesign; it runs on the tf-keras that codesign aliases as keras, so it is installed without deps.
HGQ_PIN := hgq==0.2.6

.PHONY: install demo test test-serial test-slow lint bench hgq

$(VENV)/.installed: pyproject.toml
	@echo "[1/3] creating the virtual environment $(VENV)"
	$(PY) -m venv $(VENV)
	@echo "[2/3] upgrading pip"
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "[3/3] installing codesign and its dependencies (TensorFlow, hls4ml, QKeras, ...: about two minutes; pip shows each package)"
	$(BIN)/python -m pip install --progress-bar on -e ".[test]"
	touch $@

install: $(VENV)/.installed

hgq: install
	$(BIN)/python -m pip install --quiet --no-deps $(HGQ_PIN)

demo: install
	$(BIN)/codesign build models/jet_mlp.yaml --part $(PART)

# `make test` runs the default suite on every core this process may use (pytest-xdist `-n auto`, capped at 8 by
# tests/conftest.py; PYTEST_XDIST_AUTO_NUM_WORKERS=N sets N). loadgroup keeps a module whose own fixtures are
# module-scoped on one worker (conftest marks it), so those builds run once. `make test-serial`: one process.
test: install
	$(BIN)/python -m pytest -q --durations=30 -n auto --dist loadgroup

test-serial: install
	$(BIN)/python -m pytest -q --durations=30 -p no:xdist

test-slow: install
	$(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check codesign tests benchmarks

bench: install
	$(BIN)/python benchmarks/build_demo.py
