# The README's commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test test-fast bench bench-gpu load lint format migrate worker serve-served clean help

help:
	@echo "make run    - install into .venv and serve http://$(HOST):$(PORT) (embedded mode)"
	@echo "make test   - run every test (needs PostgreSQL, Redis and chromium; see README)"
	@echo "make bench  - throughput of training inside a job vs plain PyTorch; every default run's time; try-it latency; export time and size"
	@echo "make bench-gpu - the same on a CUDA device, with mixed precision (exits 0 without one)"
	@echo "make lint   - ruff check and ruff format --check"
	@echo "make format - ruff format, then ruff check --fix"

# The runtime install; re-run when requirements change.
$(VENV)/.runtime: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput

# Embedded mode: SQLite, in-memory channel layer, the Celery worker inside the server process.
run: migrate
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

# Served mode pieces (REDIS_URL and DATABASE_URL must be set): web under daphne, workers apart.
serve-served: migrate
	$(VENV)/bin/python manage.py serve --host $(HOST) --port $(PORT)

worker: $(VENV)/.runtime
	$(VENV)/bin/celery -A playground worker -c 1 --prefetch-multiplier 1 -Q training,ingest --loglevel INFO

# axe-core (the accessibility engine the browser tests inject), from the npm registry.
AXE_VERSION := 4.14.1
AXE := var/npm/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for the accessibility tests (apt-get install npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix var/npm axe-core@$(AXE_VERSION)

test: $(VENV)/.dev $(AXE)
	$(PY) -m pytest --durations=40

test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not e2e and not served"

bench: $(VENV)/.dev
	$(PY) bench/bench_mlp.py
	$(PY) bench/bench_job.py
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_defaults.py
	$(PY) bench/bench_tryit.py
	$(PY) bench/bench_export.py

# On a machine with a CUDA device: every architecture inside a job against plain PyTorch, with mixed
# precision. It uses .venv where there is one, else the machine's python3 (a GPU image's PyTorch; carry
# this project's other packages as wheels, see bench/gpu_wheels.sh). Without CUDA it says so and exits 0.
GPU_PYTHON ?= $(shell test -x $(PY) && echo $(PY) || echo python3)
bench-gpu:
	$(GPU_PYTHON) bench/bench_gpu.py

load: $(VENV)/.dev
	$(PY) bench/load_ws.py --viewers 200 --jobs 20 --seconds 30
	$(PY) bench/load_ws.py --viewers 1000 --jobs 50 --seconds 30 --ramp 20
	$(PY) bench/load_class.py --students 30 --seconds 30 --rate 5 --epoch-every 5

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Formats the code the way `make lint` checks it.
format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var .pytest_cache
