# agentmem developer entry points. `make demo` and `make test` are the README's two set-up commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --constraint constraints-cpu.txt
export OMP_WAIT_POLICY ?= PASSIVE
export LITELLM_LOCAL_MODEL_COST_MAP ?= True
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
SHARED_DATA ?= $(abspath ../shared/data)
export AGENTMEM_DATA ?= $(SHARED_DATA)

.PHONY: install install-dev demo test test-fast lint docs bench skill-vectors clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(PIP) --quiet -e .

install-dev: $(BIN)/python
	$(PIP) --quiet -e ".[dev,local,alfworld,server]"

## The main job on embedded defaults: no API key, no network beyond the install.
demo: install
	$(BIN)/agentmem demo

## The whole test suite (installs the dev, local-model, alfworld and server extras first), after the linters.
test: install-dev
	$(BIN)/ruff check agentmem tests benchmarks examples
	$(BIN)/pyright -p .
	$(BIN)/python -m pytest -q

## ruff and pyright (basic mode); settings in pyproject.toml.
lint: install-dev
	$(BIN)/ruff check agentmem tests benchmarks examples
	$(BIN)/pyright -p .

test-fast: $(BIN)/python
	$(BIN)/python -m pytest -q -m "not slow and not integration and not local_llm and not alfworld"

docs: install-dev
	$(BIN)/mkdocs build --strict

bench: install
	$(BIN)/python benchmarks/run_all.py

## The shipped skills' MiniLM vectors (skills/.vectors/), so a fresh home embeds none of them: rerun after editing shipped skills.
skill-vectors: install
	$(BIN)/python -m agentmem.stores.skill_vectors

clean:
	rm -rf build dist *.egg-info site .pytest_cache
