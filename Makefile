# Cunzhi (村治). `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto --dist worksteal

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format migrate demo worker beat messages bench clean fuzz

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Cunzhi needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create the virtual environment and install the pinned dependencies

migrate: venv ## Apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo data (idempotent)
	$(PY) manage.py seed_demo

run: demo ## Serve the demo on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set)
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv ## Run every test (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv ## Check formatting and lint (ruff), security lint (bandit), and audit the pins (pip-audit)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r governance grids petitions points
	@# pip-audit asks PyPI's JSON API for advisories. Where only a package index is reachable
	@# (no advisories), every pin is reported as "could not be audited" and the build goes on;
	@# a vulnerability it does find fails the build.
	$(VENV)/bin/pip-audit -r requirements.txt -r requirements-dev.txt --no-deps --disable-pip --progress-spinner off

FUZZ_EXAMPLES ?= 25

fuzz: venv ## The long security runs: the full scope matrix and schemathesis with many examples
	CUNZHI_SCOPE_FULL=1 CUNZHI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:xdist -s \
	  tests/security/test_scope_matrix.py tests/security/test_schemathesis.py

format: venv ## Format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: venv ## Run a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A governance worker -l info

beat: venv ## Run Celery beat (needs REDIS_URL)
	$(VENV)/bin/celery -A governance beat -l info

messages: venv ## Extract and compile translations (needs gettext)
	$(PY) manage.py makemessages -l en -l zh_Hans --ignore=.venv --ignore=static
	$(PY) manage.py compilemessages --ignore=.venv

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cunzhi_bench
SCALE_ARGS ?= --townships 30 --villages-per 10 --grids-per 10 --households-per 130

bench: venv ## Benchmark on a district-sized PostgreSQL database (built once with generate_scale)
	@url='$(BENCH_DATABASE_URL)'; db=$${url##*/}; base=$${url%/*}; \
	  psql "$$base/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$$db'" | grep -q 1 \
	  || psql "$$base/postgres" -c "CREATE DATABASE $$db"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py shell -c \
	  "from grids.models import Township; import sys; sys.exit(0 if Township.objects.filter(code__startswith='S').exists() else 1)" \
	  || DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py generate_scale $(SCALE_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench --output docs/bench-latest.md
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_http --output docs/bench-http.md
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_campaigns --output docs/bench-campaigns.md

clean: ## Remove the virtual environment and the SQLite database
	rm -rf $(VENV) db.sqlite3
