# The README's two commands: `make demo` (the main job on data/sample/) and `make test`.
# Both create a project-local virtual environment on first use, from requirements.lock.
PYTHON ?= python3
VENV   ?= .venv
OUT    ?= out/demo
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SURVEY := surveys/one_on_one_pulse.yaml
SAMPLE := data/sample

.PHONY: demo lab test lint lock sample clean help
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv makes a cold install take seconds; pip is the fallback when uv cannot be had.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	@echo "installing the toolkit into $(VENV) ..."
	@( $(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	   && $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock \
	   && $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e . ) \
	|| ( echo "uv unavailable: installing with pip" \
	   && $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock \
	   && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . )
	@touch $@

# The sample organisation is synthetic, so its pseudonym key is public (derived from its seed).
SAMPLE_KEY = $(shell $(BIN)/python -c "from toolkit.simulate import pseudonym_key; print(pseudonym_key(2026).decode())")
demo: $(STAMP)  ## run the quarter on the sample data: ingest, score, compare, release, reports, notebooks
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

lab: $(STAMP)  ## open JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

test: $(STAMP)  ## lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

sample: $(STAMP)  ## regenerate data/sample/ with the simulator (deterministic)
	rm -rf $(SAMPLE)/exports $(SAMPLE)/*.csv $(SAMPLE)/truth.json
	$(BIN)/oneonone simulate --survey $(SURVEY) --teams 50 --waves 4 --seed 2026 --out $(SAMPLE)

lint: $(STAMP)  ## ruff only
	$(BIN)/ruff check .

lock: $(BIN)/python  ## re-pin requirements.lock after changing dependencies in pyproject.toml
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --universal -o requirements.lock

clean:  ## remove the environment and demo outputs
	rm -rf $(VENV) out .pytest_cache
