# Two entry points for a fresh machine (see README): `make web` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kneebot-installed

.PHONY: setup web test lint bench system-deps serve-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel of torch, first: a bare "torch" requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[index,web,discord,test]'
	touch $@

setup: $(STAMP)

web: setup
	$(BIN)/kneebot web

system-deps:
	bash scripts/system-deps.sh

lint: setup
	$(BIN)/ruff check bot ui tests benchmarks
	$(BIN)/mypy

test: setup system-deps lint
	bash scripts/run-tests.sh

# A wheel without the index extra (no torch) answers a conversation from an index the full install built.
serve-check: setup
	bash scripts/serve-check.sh

bench: setup
	$(BIN)/python benchmarks/bench_red_flags.py
	$(BIN)/python benchmarks/bench_glossary_load.py
	$(BIN)/python benchmarks/bench_index.py
	$(BIN)/python benchmarks/bench_turn.py
	$(BIN)/python benchmarks/bench_turn.py --plain
	$(BIN)/python benchmarks/bench_cold_start.py --web
	$(BIN)/python benchmarks/bench_web.py --clients 20
	$(BIN)/python benchmarks/bench_web.py --clients 50
	$(BIN)/python benchmarks/bench_web.py --clients 50 --workers 1 2
	$(BIN)/python benchmarks/bench_index_scale.py --budget 120
