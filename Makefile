# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000
BIND   ?= 127.0.0.1:8000
export ADVOCACY_ENV ?= development
# Translations (issue 9): .po committed, .mo built by `install` (so by run and test too).
TRANSLATIONS := advocacy/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run serve test lint format bench install db demo clean help i18n extract update compile

help:
	@echo "make run    set up (venv, dependencies, SQLite database, demo campaign) and serve on 127.0.0.1:$(PORT)"
	@echo "make serve  set up the same way and serve for production (gunicorn) on $(BIND)"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff check and format check"
	@echo "make bench  benchmarks under bench/ (ratios against a baseline measured in the same run)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(MO_FILES)

db: install
	$(BIN)/advocacy init-db

demo: db
	$(BIN)/advocacy seed-demo

run: demo
	$(BIN)/advocacy run --host 127.0.0.1 --port $(PORT)

serve: demo  ## gunicorn, threaded workers, no client address logged (docs/deploy.md)
	$(BIN)/advocacy serve --bind $(BIND)

test: install e2e-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Issue 13: micro-benchmarks, then real servers under wrk, upstream calls during a lookup surge
# (bench/upstream.py) and tallies over 5M contacts
# (generated once into bench/data/), written to docs/performance.md. PostgreSQL too when
# ADVOCACY_BENCH_POSTGRES_URL (or ADVOCACY_TEST_POSTGRES_URL) names a server: the tallies, and
# two app hosts on it and on Redis (bench/multihost.py; BENCH_REDIS=URL, else
# redis://127.0.0.1:6379/7).
BENCH_PG ?= $(or $(ADVOCACY_BENCH_POSTGRES_URL),$(ADVOCACY_TEST_POSTGRES_URL))
bench: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk
	mkdir -p bench/data && $(BIN)/python -m bench --seconds 1 | tee bench/data/micro.txt
	$(BIN)/python -m bench.surge --json bench/data/surge.json > /dev/null
	$(BIN)/python -m bench.upstream --json bench/data/upstream.json
	$(BIN)/python -m bench.tally5m $(if $(BENCH_PG),--postgres $(BENCH_PG)) --json bench/data/tally5m.json > /dev/null
	$(if $(BENCH_PG),$(BIN)/python -m bench.multihost --postgres $(BENCH_PG) $(if $(BENCH_REDIS),--redis $(BENCH_REDIS)) --json bench/data/multihost.json,rm -f bench/data/multihost.json)
	$(BIN)/python -m bench.profile officials > bench/data/profile-officials.txt
	$(BIN)/python -m bench.profile confirm > bench/data/profile-confirm.txt
	$(BIN)/python -m bench.report --micro bench/data/micro.txt > docs/performance.md
	@echo "docs/performance.md written"

# -- translations (issue 9): .po files are committed, .mo files are built here --------------
# A new or changed string: `make update`, translate it in advocacy/translations/*/LC_MESSAGES/
# messages.po (tests/test_i18n.py names every supporter-facing one still missing), `make test`.

i18n: extract

extract: $(STAMP)  ## every marked string into the catalogue template
	mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k lazy_gettext -k _l \
		--msgid-bugs-address= --project=Advocacy -o $(TRANSLATIONS)/messages.pot .

update: extract  ## new strings into each language's .po (then translate them)
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

compile: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis instance/*.db*

# -- end-to-end tests and organizers (issue 14) -----------------------------------------------
# axe-core for tests/e2e/test_accessibility.py, from npm (pinned in tests/e2e/package-lock.json,
# injected into Chromium by the tests, never served to anyone). Without npm those tests skip.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
.PHONY: e2e-deps organizer

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm not found: the accessibility tests will skip (apt-get install npm)"; fi

e2e-deps: $(AXE)

# make organizer EMAIL=you@example.org: an organizer account for `make run` (asks the password).
organizer: db
	@test -n "$(EMAIL)" || { echo "usage: make organizer EMAIL=you@example.org"; exit 2; }
	$(BIN)/advocacy create-organizer "$(EMAIL)"
