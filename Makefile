# Two commands on a fresh machine: `make demo` (the main job, offline) and `make test`.
# Both create .venv on first use from the pinned requirements.lock (uv: ~5 s instead of ~70 s);
# `make demo` also puts the DuckDB CLI in .venv/bin (`. .venv/bin/activate` puts both on PATH).
# `make check` is the gate before a commit (and CI's first step): lint, format, types, import
# contracts, and the fast test tier (no browser, no Prefect, nothing marked slow).

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

# The DuckDB CLI analysts open the warehouse with: the newest the package registries serve
# (PyPI's duckdb-cli; it reads DuckDB storage formats up to 1.5, see warehouse/connection.py).
# Installed into the venv beside paramtrack, for tests/warehouse/test_export.py and for analysts.
DUCKDB_CLI_VERSION := 1.5.6
DUCKDB_CLI := $(VENV)/bin/duckdb

.PHONY: demo test check lint fast docs browser duckdb-cli lock bench eval ablation clean

$(STAMP): pyproject.toml requirements.lock
	python3 -m pip install --quiet --disable-pip-version-check uv
	python3 -m uv venv --quiet --allow-existing $(VENV)
	python3 -m uv pip install --quiet --python $(PY) --compile-bytecode -r requirements.lock
	python3 -m uv pip install --quiet --python $(PY) --compile-bytecode --no-deps -e .
	touch $(STAMP)

demo: $(STAMP) $(DUCKDB_CLI)
	$(VENV)/bin/paramtrack demo

browser:
	bash .ci/install-browser

$(DUCKDB_CLI): $(STAMP)
	python3 -m uv pip install --quiet --python $(PY) duckdb-cli==$(DUCKDB_CLI_VERSION)

duckdb-cli: $(DUCKDB_CLI)

# Both tiers spread their tests over two processes (pytest-xdist; each gets its own Prefect home).
test: $(STAMP) browser $(DUCKDB_CLI)
	$(VENV)/bin/pytest -n 2 --dist worksteal

# Static tools run against the tree the wheel installs (tools/installed_tree.py says why).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) tools/installed_tree.py types
	$(PY) tools/installed_tree.py contracts

check: lint
	$(MAKE) --no-print-directory fast

fast: $(STAMP) $(DUCKDB_CLI)
	$(VENV)/bin/pytest -q -n 2 --dist worksteal -m "not slow and not browser and not prefect"

# Regenerate docs/cli.md from the CLI itself (tests/project/test_docs.py fails while it is stale).
docs: $(STAMP)
	$(PY) docs/generate_cli_reference.py

# Accuracy: the shared papers cross-validated, the blind set, the gap between them, the targets.
eval: $(STAMP)
	$(PY) benchmarks/extraction_eval.py
	$(PY) benchmarks/ranker_families.py

# Each rule family switched off in turn, shared CV and blind figures (about an hour).
ablation: $(STAMP)
	$(PY) benchmarks/ablation.py

bench: $(STAMP)
	$(PY) benchmarks/pdf_throughput.py
	$(PY) benchmarks/recompute_benchmark.py
	$(PY) benchmarks/backfill_benchmark.py
	$(PY) benchmarks/ingest_benchmark.py
	$(PY) benchmarks/add_benchmark.py

# Re-pin after changing dependencies in pyproject.toml.
lock:
	python3 -m uv pip compile --quiet --extra test pyproject.toml -o requirements.lock

clean:
	rm -rf $(VENV) data/prefect-tests test-artifacts
