# Chengxin — one-command developer entry points. Needs only python3 (3.11) on PATH.
#   make run    everything on this machine (Temporal dev server, SMTP sink, worker, web) on :8000
#   make test   lint (ruff, mypy) + the whole test suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := run
.PHONY: venv run test lint bench clean

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $@

run: venv
	$(PY) -m dev.server

test: venv
	@dpkg -s faketime fonts-wqy-zenhei >/dev/null 2>&1 && [ -x /usr/bin/chromium ] || \
		(apt-get update -q && apt-get install -y -q faketime chromium fonts-wqy-zenhei)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: venv
	$(PY) bench/commitments_vs_raw.py

# Removes caches and the local state of `make run` (var/: database, Temporal history, mail); keeps .venv.
clean:
	rm -rf var build .pytest_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
