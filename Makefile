# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000
BIND   ?= 127.0.0.1:8000
export ADVOCACY_ENV ?= development

.PHONY: run serve test lint format bench install db demo clean help i18n

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

install: $(STAMP)

db: install
	$(BIN)/advocacy init-db

demo: db
	$(BIN)/advocacy seed-demo

run: demo
	$(BIN)/advocacy run --host 127.0.0.1 --port $(PORT)

serve: demo  ## gunicorn, threaded workers, no client address logged (docs/deploy.md)
	$(BIN)/advocacy serve --bind $(BIND)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench

i18n: install  ## extract every marked string into the catalogue template
	mkdir -p advocacy/translations
	$(BIN)/pybabel extract --no-location -F babel.cfg -k lazy_gettext -k _l -o advocacy/translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis instance/*.db*
