SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTHON ?= python3

.PHONY: venv chromium run test bench lint format clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Web server, Celery worker and beat side by side; Ctrl-C stops all three.
run: venv
	mkdir -p var/broker/out var/broker/processed var/broker/control var/media
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data --if-empty
	trap 'kill 0' EXIT; \
	$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 & \
	$(VENV)/bin/celery -A config beat --loglevel=INFO \
		--schedule var/celerybeat-schedule & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Debian's Chromium for the Playwright browser tests (needs root to install).
chromium:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "Chromium is missing: apt-get install chromium (browser tests skip)"

test: venv chromium
	$(VENV)/bin/pytest

bench: venv
	$(VENV)/bin/pytest tests/bench -p no:cacheprovider -s -o python_files='*.py'

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var
