# muscle_mm: the two commands a fresh machine needs.
#   make test   set up .venv (pinned stack, mmcv built with ops) if needed, then run the test suite
#   make demo   set up .venv if needed, then run MUSCLE's main job on generated X-ray data
# A second run reuses .venv: tools/setup_env.sh keys each install layer on the hash of its pins.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
TESTS ?= tests
# the suite over 2 pytest-xdist workers, each test file on one worker (its module fixtures built
# once), one thread each: 450-500 s against 740 s in one process on 2 cores (the CI machine's size)
TEST_WORKERS ?= 2
DEMO_DIR ?= work_dirs/demo

.PHONY: env env-cuda lint test demo check-env clean-env

env:
	@VENV=$(abspath $(VENV)) bash tools/setup_env.sh

# mmcv with its CUDA ops, built without a GPU (FORCE_CUDA=1) into its own venv: about 25 min per
# arch on 2 cores (docs/gpu.md). Kept out of `make test`; a GPU host's plain `make env` builds the
# same for its own GPUs.
CUDA_VENV ?= .venv-cuda
TORCH_CUDA_ARCH_LIST ?= 9.0
env-cuda:
	@FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$(TORCH_CUDA_ARCH_LIST)" MAX_JOBS=$${MAX_JOBS:-$$(nproc)} \
	  VENV=$(abspath $(CUDA_VENV)) bash tools/setup_env.sh
	$(CUDA_VENV)/bin/python tools/misc/check_env.py

check-env: env
	$(PY) tools/misc/check_env.py

# the linters and settings of mmpretrain's pre-commit (setup.cfg), at 100 columns; .ci/run runs it
LINT_PATHS := muscle_mm tools benchmarks tests configs setup.py
lint: env
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf -r --diff $(LINT_PATHS)

test: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest $(TESTS) -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

demo: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} bash tools/demo.sh $(DEMO_DIR)

clean-env:
	rm -rf $(VENV)
