# Engage: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONPATH := $(CURDIR)
export FLASK_APP := wsgi

.PHONY: run test install assets migrate seed lint format bench clean worker

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

engage/static/engage.css: node_modules/.installed $(wildcard engage/assets/*)
	npm run --silent build

install: $(BIN)/.installed node_modules/.installed

assets: engage/static/engage.css

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

run: install assets seed
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

worker: install
	$(BIN)/celery -A engage.worker worker --loglevel=info --concurrency=1

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -r engage nlp --quiet --severity-level medium

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install assets lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules engage/static instance/engage.sqlite
