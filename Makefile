# Two commands from a fresh clone: `make demo` runs the bundled quickstart scenario,
# `make test` runs the test suite. Both create .venv and install farmsim into it first.
# `make lint` runs ruff and mypy (configured in pyproject.toml) and fails on any finding.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint bench bench-quick bench-shapes clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/farmsim run scenarios/quickstart.yaml --out out/quickstart

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m ''

# Both checks run even when the first fails, so one pass shows every finding.
lint: $(STAMP)
	@status=0; \
	$(VENV)/bin/ruff check src tests benchmarks || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Every workload shape at ~100k and ~1M task runs; the SWF shape needs ciw (the bench extra).
bench-shapes: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py --shapes

bench-quick: $(STAMP)
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .mypy_cache .ruff_cache
