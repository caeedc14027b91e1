# All set-up is done by these targets: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint bench bench-scale bench-wger clean browser screenshots mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/hangtime serve

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src/hangtime
	$(BIN)/lint-imports

# Browser tests drive Debian's chromium (never a browser download of Playwright's own).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	  || echo "warning: chromium could not be installed: the browser tests will skip"; }

# Two workers (the CI machine has two cores): the suite runs in about three minutes.
test: lint browser
	$(BIN)/pytest -n 2

# Refreshes the README's screenshots from a browser run (tests write only to the untracked test-artifacts/).
screenshots: $(STAMP_TEST) browser
	$(BIN)/pytest -q tests/e2e/test_playwright.py tests/e2e/test_clinic_journey.py tests/e2e/test_trial_browser.py \
	  tests/e2e/test_tasks_browser.py
	# Refreshes the pictures the README shows (those already in docs/screenshots/).
	cp $(addprefix test-artifacts/,$(notdir $(wildcard docs/screenshots/*.png))) docs/screenshots/

bench: $(STAMP_TEST)
	$(BIN)/python bench/bench_session.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_table.py

# Clinic scale: 10,000 patients and 1,000,000 sessions on SQLite and on PostgreSQL (HANGTIME_TEST_DATABASE_URL or the
# local server), open-loop at fixed rates; a few minutes.
bench-scale: $(STAMP_TEST)
	$(BIN)/python bench/bench_scale.py

# Beside wger (installed from PyPI into .bench-wger/, untracked): one worker each, 100,000 logs of one person.
bench-wger: $(STAMP_TEST)
	$(BIN)/python bench/bench_wger.py

# Mutation testing of the safety core (session engine and screening) against its fast unit tests; see the README.
mutation: $(STAMP_TEST)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python bench/mutation_report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
