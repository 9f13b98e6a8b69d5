# The README's two commands: `make demo` (the main job on the embedded catalog) and `make test`.
.PHONY: setup test lint typecheck demo screenshots stack

setup:
	./.ci/setup

# Every benchmark in benchmarks/ in its quick mode (BENCH_ARGS=--full for the documented sizes; --docs to
# regenerate docs/benchmarks.md's report section); the report lands in artifacts/bench/report.{md,json}.
.PHONY: bench
bench: setup
	.venv/bin/pip install -q -c .ci/constraints.txt -e '.[bench]'
	.venv/bin/python benchmarks/run_all.py $(BENCH_ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy

test: setup lint typecheck
	.venv/bin/pytest -q -p no:cacheprovider --durations=15

# docker-compose.yml's services as local processes (PostgreSQL, SeaweedFS for MinIO, MLflow, `registry serve
# --workers 2`, the UI), then a client logs in, ingests, pulls, locks and browses (tests/test_stack.py; also in `make test`).
stack: setup
	.venv/bin/pytest -q -p no:cacheprovider tests/test_stack.py

demo: setup
	./.ci/demo

# docs/screenshots/ from the catalog `make demo` built (REGISTRY_HOME); tests write theirs to artifacts/screenshots/.
screenshots: setup
	.venv/bin/python .ci/screenshots.py
