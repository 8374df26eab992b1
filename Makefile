# CreditDesk: `make run` and `make test` set everything up from nothing on Debian 12 with Python 3.11.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# System packages: WeasyPrint's libraries and a CJK font (PDFs in Chinese), gettext (translations),
# chromium (the browser tests drive Debian's chromium through Playwright; no `playwright install`).
SYS_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext chromium
# What `make test` runs against; override in the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/creditdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=
# `make run PORT=8001`: the address the site serves on; SITE_URL (links in e-mails) follows it.
PORT ?= 8000
RUN_ENV := DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: help setup sysdeps run serve test test-browser test-fuzz lint format bench worker beat migrate demo messages check-services

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

sysdeps: ## install the system packages (as root), or say the exact command
	@missing=""; for p in $(SYS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "CreditDesk needs these system packages. Run:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

setup: sysdeps $(STAMP) ## create .venv and install everything
	@DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v0

migrate: setup ## apply database migrations
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate ## load the demo users and data (only into an empty database)
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

run: demo ## set up, migrate, load demo data, serve on http://127.0.0.1:8000 with worker and beat
	@echo "CreditDesk on http://127.0.0.1:$(PORT) (demo users in README.md; mail is written to var/mail/)"
	@$(RUN_ENV) $(BIN)/celery -A creditdesk worker -B --pool=solo --loglevel=INFO \
	  --schedule=var/celerybeat-schedule & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production mode on this machine, as the Docker image runs it: static files collected with the
# production storage, then gunicorn with creditdesk/gunicorn.conf.py (WEB_CONCURRENCY workers,
# GUNICORN_TIMEOUT seconds). Set SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; behind no
# TLS proxy, SECURE_SSL_REDIRECT=0.
serve: setup ## production mode (DEBUG=0, gunicorn) on http://127.0.0.1:8000; see README "Production"
	DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DEBUG=0 $(BIN)/python manage.py collectstatic --noinput -v0
	DEBUG=0 $(BIN)/gunicorn -c creditdesk/gunicorn.conf.py creditdesk.wsgi:application --bind 127.0.0.1:8000

worker: setup ## run a Celery worker alone
	$(RUN_ENV) $(BIN)/celery -A creditdesk worker --loglevel=INFO

beat: setup ## run Celery beat alone (schedules from the database, editable in the admin)
	$(RUN_ENV) $(BIN)/celery -A creditdesk beat --loglevel=INFO

check-services: setup
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=1 \
	  $(BIN)/python manage.py check_services

lint: setup ## ruff lint and format check, migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: setup ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The parallel run's two workers and the browser tests after them copy one database migrated once
# for the run (CREDITDESK_TEST_RUN, tests/conftest.py `django_db_setup`). A file's tests run on one
# worker (`--dist loadfile`): data a module shares is built once.
test: setup check-services lint ## run the whole suite against PostgreSQL and Redis
	@export CREDITDESK_TEST_RUN="$$(date +%s)-$$$$"; status=0; \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -n 2 --dist loadfile -m "not browser" $(PYTEST_ARGS) || status=$$?; \
	$(MAKE) --no-print-directory test-browser || status=$$?; \
	exit $$status

# The browser tests run on a live server with a flushed (transactional) database: one process,
# apart from the parallel run above.
test-browser: setup check-services ## the browser flows alone (headless chromium; failures in test-artifacts/)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true \
	  $(BIN)/pytest -p no:xdist -m browser $(PYTEST_ARGS)

test-fuzz: setup check-services ## the API fuzzing alone (schemathesis, every endpoint, every role)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -m fuzz $(PYTEST_ARGS)

bench: setup check-services ## benchmarks on PostgreSQL (prints one JSON object)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=1 \
	  $(BIN)/python bench/run.py

messages: setup ## refresh the translation catalogues (then: python scripts/untranslated.py)
	$(RUN_ENV) $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-obsolete --keyword=_lazy
	$(RUN_ENV) $(BIN)/python manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=static/vendor --no-obsolete
