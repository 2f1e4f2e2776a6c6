# Set-up and run. Each target creates .venv on first use and installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test warm bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compile the numba kernels into their on-disk cache so the first launch is quick.
warm: $(STAMP)
	$(BIN)/python -m engine.warmup

demo: warm
	$(BIN)/optimus

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: warm
	for b in tests/benchmarks/bench_*.py; do $(BIN)/python $$b; done

lint: $(STAMP)
	$(BIN)/ruff check engine widgets terminal tests
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
