# The README's two commands: `make demo` (the main job on data/sample/) and `make test`.
# Both create a project-local virtual environment on first use, from the locks in requirements/:
# demo.lock (the library and the notebooks extra), test.lock (and the spss and test extras);
# core.lock pins the library alone (what `pip install one-on-one-toolkit` needs).
PYTHON ?= python3
VENV   ?= .venv
TOOLS  ?= .tools
OUT    ?= out/demo
BIN    := $(VENV)/bin
UV     := $(TOOLS)/bin/uv
SURVEY := surveys/one_on_one_pulse.yaml
SAMPLE := data/sample
LOCKS  := requirements

.PHONY: demo lab test lint lock sample clean help
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

# uv makes a cold install take seconds. It lives in its own small environment ($(TOOLS)), so the
# project's environment holds the project's packages only; pip is the fallback when uv cannot be had.
$(UV):
	@( $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv ) \
	  || echo "uv unavailable: the environment is built with pip"

$(BIN)/python: | $(UV)
	@if [ -x $(UV) ]; then $(UV) venv --quiet --python $(PYTHON) $(VENV); else $(PYTHON) -m venv $(VENV); fi

# $(VENV)/.installed-<lock> marks an environment holding that lock (test.lock holds demo.lock).
$(VENV)/.installed-%: $(LOCKS)/%.lock pyproject.toml | $(BIN)/python
	@echo "installing the toolkit ($*) into $(VENV) ..."
	@if [ -x $(UV) ]; then \
	  $(UV) pip install --quiet --python $(BIN)/python --compile-bytecode -r $< \
	  && $(UV) pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r $< \
	  && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . ; \
	fi
	@touch $@

# The sample organisation is synthetic, so its pseudonym key is public (derived from its seed).
SAMPLE_KEY = $(shell $(BIN)/python -c "from toolkit.simulate import pseudonym_key; print(pseudonym_key(2026).decode())")
demo: $(VENV)/.installed-demo  ## run the quarter on the sample data: ingest, score, compare, release, reports, notebooks
	$(BIN)/oneonone survey check $(SURVEY)
	$(BIN)/oneonone survey codebook $(SURVEY) --out $(OUT)/codebook
	$(BIN)/oneonone survey export $(SURVEY) --to html --out $(OUT)/questionnaire.html
	ONEONONE_KEY=$(SAMPLE_KEY) $(BIN)/oneonone run --survey $(SURVEY) --roster $(SAMPLE)/roster.csv \
	    --exports $(SAMPLE)/exports --format qualtrics --wave 2026Q4 --truth $(SAMPLE)/truth.json --out $(OUT)
	@echo; echo "demo outputs are in $(OUT)/: notebooks/*.html (the analyses), reports/ (open reports/organisation.html"
	@echo "or reports/t01.html), release.parquet (every published number), store/ (waves, quarantine, reports),"
	@echo "codebook/ and questionnaire.html"

# no news feed and no update check: nothing reaches the network; root (a container) must say so
LAB_FLAGS := --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
             --LabApp.extension_manager=readonly \
             $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/.installed-demo  ## open JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

# axe-core (accessibility checks of the browser tests) from the npm registry, when npm is there
AXE := $(TOOLS)/node_modules/axe-core/axe.min.js
$(AXE):
	@mkdir -p $(TOOLS)
	@if command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix $(TOOLS) axe-core@4.14.1 >/dev/null \
	  || echo "axe-core could not be installed: the accessibility checks will be skipped"; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

test: $(VENV)/.installed-test $(AXE)  ## lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

sample: $(VENV)/.installed-demo  ## regenerate data/sample/ with the simulator (deterministic)
	rm -rf $(SAMPLE)/exports $(SAMPLE)/*.csv $(SAMPLE)/truth.json
	$(BIN)/oneonone simulate --survey $(SURVEY) --teams 50 --waves 4 --seed 2026 --out $(SAMPLE)

lint: $(VENV)/.installed-test  ## ruff only
	$(BIN)/ruff check .

lock: $(UV)  ## re-pin requirements/*.lock after changing dependencies in pyproject.toml
	$(UV) pip compile pyproject.toml --python-version 3.11 --universal -o $(LOCKS)/core.lock
	$(UV) pip compile pyproject.toml --extra notebooks --extra serve --python-version 3.11 --universal -o $(LOCKS)/demo.lock
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 --universal -o $(LOCKS)/test.lock

clean:  ## remove the environments and demo outputs
	rm -rf $(VENV) $(TOOLS) out .pytest_cache
