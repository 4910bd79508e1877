# rekap: the two entry points are `make demo` and `make test`.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')

.PHONY: demo test install lint check clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.4"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-groups
	touch $@

install: .venv/.synced

demo: install
	.venv/bin/rekap demo

lint: install
	.venv/bin/ruff check src tests bench tools training
	.venv/bin/ruff format --check src tests bench tools training
	.venv/bin/mypy
	.venv/bin/lint-imports

test: install lint
	.venv/bin/python -m pytest -n 2 --dist loadgroup

clean:
	rm -rf .venv $(TOOLS) var
