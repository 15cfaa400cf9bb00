# Two commands a newcomer needs: `make test` (the whole suite) and `make demo` (an example DAG end to end
# against the local Sinch sandbox).  Both create .venv on first use; uv inside the venv keeps that fast.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: venv test lint demo bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q -p $(PY) -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q -p no:cacheprovider

demo: $(STAMP)
	$(PY) -m airflow_provider_sinch.testing.demo

bench: $(STAMP)
	$(PY) bench/bench_sandbox.py
	$(PY) bench/bench_send.py --recipients 100000
	$(PY) bench/bench_triggers.py
	$(PY) bench/bench_triggers.py --latency 0.05

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
