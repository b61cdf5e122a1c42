# The two commands a newcomer needs: `make run` and `make test`. Everything else is for maintainers.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-reliability lint messages-extract messages-update messages-compile messages-lint clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m gateway.devserver

# Test processes side by side (pytest-xdist); `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 4

# Everything but the fault tests; browser tests are skipped (and counted) without Chromium.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not reliability" $(PYTEST_ARGS)

# The fault tests (outages, kills, restarts, fuzzing), one at a time: they time recoveries.
test-reliability: $(STAMP)
	$(BIN)/python -m pytest -m reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Translations. English (messages/en) is the source catalog, edited by hand; the others are
# updated from the template that extraction writes. The app reads the .po files directly.
TRANSLATIONS = $(filter-out en,$(patsubst messages/%/language.yaml,%,$(wildcard messages/*/language.yaml)))

messages-extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -o messages/messages.pot --sort-output \
		--project hmk-civic-gateway --version 0.1.0 --copyright-holder "Haki Madini Kenya" .

messages-update: messages-extract
	for lang in $(TRANSLATIONS); do \
		$(BIN)/pybabel update -i messages/messages.pot -d messages -D messages -l $$lang \
			--no-fuzzy-matching --init-missing || exit 1; \
	done

messages-compile: $(STAMP)
	$(BIN)/pybabel compile -d messages -D messages --statistics

# The lint renders USSD screens and stored consultations' clauses: the database must be current.
messages-lint: $(STAMP)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi messages lint

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
