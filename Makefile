# muscle_mm: the two commands a fresh machine needs.
#   make test   set up .venv (pinned stack, mmcv built with ops) if needed, then run the test suite
#   make demo   set up .venv if needed, then run MUSCLE's main job on generated X-ray data
# A second run reuses .venv: tools/setup_env.sh keys each install layer on the hash of its pins.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
DEMO_DIR ?= work_dirs/demo

.PHONY: env test demo check-env clean-env

env:
	@VENV=$(abspath $(VENV)) bash tools/setup_env.sh

check-env: env
	$(PY) tools/misc/check_env.py

test: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m pytest tests $(PYTEST_ARGS)

demo: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} bash tools/demo.sh $(DEMO_DIR)

clean-env:
	rm -rf $(VENV)
