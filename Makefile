# The two commands a newcomer needs:  `make demo`  and  `make test`.
# Both build .venv from the pinned requirements.lock first (once; again when the lock changes).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# nameko (for the interop example and its test) in a venv of its own: never importable by isthmus.
NAMEKO_VENV ?= .venv-nameko
NAMEKO_LOCK := examples/nameko_subscriber/requirements.lock

.PHONY: demo test lint proto lock image clean

$(BIN)/isthmus: requirements.lock pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e clients/python -e . $(foreach c,$(wildcard connectors/*/pyproject.toml),-e $(dir $(c)))
	$(BIN)/python -m isthmus.platform.protogen --googleapis-only
	@touch $@

$(NAMEKO_VENV)/bin/nameko: $(NAMEKO_LOCK)
	$(PYTHON) -m venv $(NAMEKO_VENV)
	$(NAMEKO_VENV)/bin/pip install --quiet -r $(NAMEKO_LOCK)
	@touch $@

## The main job: the end-to-end demo (hub, three simulated source systems, three connectors).
demo: $(BIN)/isthmus
	$(BIN)/isthmus demo

## Every test, plus lint. Tests that need RabbitMQ/PostgreSQL skip loudly when they are down, fail under CI=true.
test: $(BIN)/isthmus $(NAMEKO_VENV)/bin/nameko
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy bench
	$(BIN)/pytest

lint: $(BIN)/isthmus
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate the client package's stubs and .proto copies from proto/ (the test suite fails when they drift),
## and copy the googleapis files the protos import from the installed wheel into build/googleapis for buf.
proto: $(BIN)/isthmus
	$(BIN)/python -m isthmus.platform.protogen

## Build the image with podman, on a Debian base made by debootstrap (no registry needed; tests/image/imagekit.py).
image: $(BIN)/isthmus
	$(BIN)/python tests/image/imagekit.py

## Re-pin dependencies after editing pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-emit-package isthmus-client -o requirements.lock
	uv pip compile examples/nameko_subscriber/requirements.in --python-version 3.11 -o $(NAMEKO_LOCK)

clean:
	rm -rf $(VENV) $(NAMEKO_VENV) .pytest_cache .mypy_cache .ruff_cache build/googleapis
