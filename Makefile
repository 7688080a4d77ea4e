# Two commands for a newcomer: `make run` (site with demo data) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app

.PHONY: install run demo test test-browser bench clean

$(BIN)/activate: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $(BIN)/activate

install: $(BIN)/activate

# Creates the database, loads communes and catalogues, seeds the demo, then starts the Procfile
# through honcho: the site on :5000 and the job worker (mail, SMS, periodic jobs); Ctrl-C stops both.
# Development: the dev mailbox stands in for SMTP, and mail links point to http://127.0.0.1:5000.
run: export GUICHET_DEV_MAILBOX := 1
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask communes load
	$(BIN)/flask demo
	$(BIN)/honcho start

# Lint first (ruff, configured in pyproject.toml), then the tests on both cores (pytest-xdist):
# each worker has its own SQLite files, PostgreSQL schema and live server.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache
