# Two commands matter: `make run` and `make test`. Both set up everything they need.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
FLASK := $(BIN)/flask --app app
LANGS := es so hmn

.DEFAULT_GOAL := help
.PHONY: help install browser nginx run serve test test-pg lint fmt db-upgrade db-revision db-check seed \
	i18n-extract i18n-update i18n-compile i18n-init clean bench audit

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed ## Create .venv and install the pinned requirements

nginx: ## Install Debian's nginx for the proxy-cache test if it is missing (needs root)
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null 2>&1 || \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null); \
	  else \
	    echo "nginx is missing: 'sudo apt-get install nginx' to run the proxy-cache test."; \
	  fi; \
	fi

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the HTML validation test will be skipped."; fi

browser: ## Install Debian's Chromium for the browser tests if it is missing (needs root)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null); \
	  else \
	    echo "Chromium is missing: 'sudo apt-get install chromium' to run the browser tests."; \
	  fi; \
	fi

i18n-compile: install ## Compile the message catalogs (.po -> .mo)
	$(BIN)/pybabel -q compile -d translations

i18n-extract: install ## Extract marked strings into translations/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-comments=i18n: \
		--sort-by-file --project=minneapolis-engagement -o translations/messages.pot .

i18n-update: i18n-extract ## Merge new strings into every catalog
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

i18n-init: i18n-extract ## Start a catalog for a new language: make i18n-init LANG=xx
	$(BIN)/pybabel init -i translations/messages.pot -d translations -l $(LANG)

db-upgrade: install ## Apply the migrations to DATABASE_URL (default: SQLite in instance/)
	$(FLASK) db upgrade

db-revision: install ## Autogenerate a migration: make db-revision m="what changed"
	$(FLASK) db revision -m "$(m)"

db-check: install ## Fail if the models and the migrations differ
	$(FLASK) db check

BOUNDARIES ?= ../shared/data/minneapolis-neighborhoods.geojson

seed: db-upgrade i18n-compile ## Load the consultation, places and demo comments (idempotent)
	$(FLASK) seed
	$(FLASK) demo-comments 240 --publish --if-empty
	@# The City's neighborhood outlines, for the council map, when the shared data is beside us.
	@if [ -f $(BOUNDARIES) ]; then $(FLASK) import-boundaries $(BOUNDARIES); fi
	@# Jobs a stopped server left behind (form-letter checks, e-mails) run now.
	$(FLASK) jobs run

run: seed ## Set everything up and serve on http://127.0.0.1:5000
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install i18n-compile browser nginx node_modules/.installed ## Lint and run the whole suite (SQLite; PostgreSQL too if TEST_DATABASE_URL is set)
	$(BIN)/ruff check .
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest

test-pg: install i18n-compile ## Run the suite against PostgreSQL: make test-pg TEST_DATABASE_URL=postgresql+psycopg://...
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest

BENCH_SECONDS ?= 30
bench: install i18n-compile ## Every benchmark, each figure beside its target (PostgreSQL on 127.0.0.1): make bench BENCH_SECONDS=5
	$(BIN)/python -m bench --seconds $(BENCH_SECONDS)

audit: install ## bandit over engagement/ (config in pyproject.toml), pip-audit over the pinned requirements
	$(BIN)/bandit -q -c pyproject.toml -r engagement
	@out=$$($(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		-r requirements.txt -r requirements-dev.txt 2>&1); status=$$?; echo "$$out"; \
	if [ $$status -ne 0 ] && echo "$$out" | grep -q "could not be audited"; then \
	  echo "pip-audit: NOT AUDITED. Its vulnerability data (PyPI's JSON API for each release, or"; \
	  echo "OSV) cannot be reached from this machine, so no pin was checked. Run 'make audit'"; \
	  echo "where https://pypi.org/pypi/<name>/<version>/json answers."; \
	fi; exit $$status

clean: ## Remove the virtualenv, compiled catalogs and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find translations -name '*.mo' -delete
