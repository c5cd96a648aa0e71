# Two commands on a fresh machine with Python 3.11 and pip:
#   make demo   install, then run the federation demo (two issuer nodes, a wallet, a verifier) until Ctrl-C
#   make test   install with test extras, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-test demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

demo: install
	$(BIN)/satchel demo

test: install-test
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The type check (mypy strict on every package) and the linter (ruff); .ci/run runs them before the tests.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/sign.py samples/lakeside-badge.json
	$(BIN)/python bench/verify.py samples/lakeside-badge.json

clean:
	rm -rf $(VENV) build *.egg-info
