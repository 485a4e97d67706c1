# coopwatch: `make run` (demo crawl, offline) and `make test` (whole suite). Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the one setuptools notice left ("Editable installation.") is information, not a problem: keep it quiet
export PYTHONWARNINGS ?= ignore:Editable installation:UserWarning
PIP    := $(BIN)/python -m pip
PIP_FLAGS ?= -q --disable-pip-version-check
# the browser tests use Debian's chromium: never download one
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run serve test venv venv-test venv-airflow airflow airflow-stop es-start es-wait es-stop es-status bench clean help

help:
	@echo "make run    - install into .venv, serve the bundled demo sites on 127.0.0.1, crawl, index, search"
	@echo "make serve  - web page and JSON API over the demo store that make run leaves: http://127.0.0.1:8000/"
	@echo "make test   - install test extras into .venv and run the whole test suite (with its own"
	@echo "              Elasticsearch node when Java and Maven are present, unless COOPWATCH_TEST_ES is set)"
	@echo "make airflow / airflow-stop - a local Airflow 3 crawling the demo sites on 127.0.0.1; stop all of it"
	@echo "make bench  - run the benchmarks in bench/ (tables on stdout, results in bench/results/)"
	@echo "make es-start / es-wait / es-stop / es-status - a local Elasticsearch 8 node from Maven Central (no Docker)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) -e '.[dev]'
	@touch $@ $(VENV)/.core $(VENV)/.airflow

$(VENV)/.airflow: pyproject.toml | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) -e '.[airflow]'
	@touch $@ $(VENV)/.core

venv: $(VENV)/.core
venv-test: $(VENV)/.test
venv-airflow: $(VENV)/.airflow

run: venv
	$(BIN)/python -m coopwatch.quickstart

serve: venv
	$(BIN)/coopwatch --sources var/demo-sources.yaml serve

test: venv-test
	@scripts/es.sh with $(BIN)/python -m pytest $(PYTEST_ARGS)

airflow: venv-airflow
	@$(BIN)/python -m coopwatch.airflow_local start

airflow-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m coopwatch.airflow_local stop; else echo "nothing to stop (no .venv)"; fi

bench: venv-test
	$(BIN)/python bench/crawl_hosts.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/eval_extract.py
	$(BIN)/python bench/eval_structure.py
	$(BIN)/python bench/eval_events.py
	$(BIN)/python bench/structure_speed.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/index.py $(if $(COOPWATCH_TEST_ES),--es-url $(COOPWATCH_TEST_ES))
	$(BIN)/python bench/api.py $(if $(COOPWATCH_TEST_ES),--es-url $(COOPWATCH_TEST_ES))

es-start:
	scripts/es.sh start
es-wait:
	scripts/es.sh wait
es-stop:
	scripts/es.sh stop
es-status:
	@scripts/es.sh status || true

clean: airflow-stop
	-scripts/es.sh stop
	rm -rf var/ bench/results/ .pytest_cache
