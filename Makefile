# The two commands: `make lab` (set up, then open JupyterLab on lectures/) and
# `make test` (set up, then run the whole suite). Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?=
LAB_DIR ?= lectures
PYTEST_ARGS ?=
# JupyterLab refuses to start as root (containers, CI) unless told to.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test lint browser release check-release clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to 2.13.0 in pyproject.toml: with a CPU wheel on the machine,
	# pip takes it instead of downloading the CUDA build.
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	touch $(STAMP)

# .venv/bin goes first on the PATH: nbgrader's formgrader runs the `alembic` command
# to create its gradebook, and fails (HTTP 500) when it is not found.
lab: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --notebook-dir=$(LAB_DIR) $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP) lint browser
	PGCOURSE_STATIC=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check shared autograder tests bench
	$(BIN)/ruff format --check shared autograder tests bench
	$(BIN)/mypy shared autograder

# The browser test drives Debian's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "warning: no chromium and no root to install it: the browser test is skipped"; fi; }

release: $(STAMP)
	$(BIN)/python -m autograder release

check-release: $(STAMP)
	$(BIN)/python -m autograder release --check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
