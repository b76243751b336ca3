import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/_helpers.py

os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(autouse=True)
def _clean_mm_globals():
    """Runner tests leave DefaultScope/MessageHub/Visualizer instances behind; clear them so each
    test builds in the scope it asks for (what mmengine.testing.RunnerTestCase does)."""
    yield
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer
    for cls in (DefaultScope, MessageHub, Visualizer):
        cls._instance_dict.clear()
    MMLogger._instance_dict.clear()


@pytest.fixture
def tiny_cls_config(tmp_path):
    """make(iters, extra) -> path of a tiny mmpretrain classification config on generated images."""
    from _helpers import tiny_cls_config_factory
    return tiny_cls_config_factory(tmp_path)


@pytest.fixture
def log_lines():
    """Messages logged through mmengine's current logger while the test runs."""
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance('muscle_mm_test_log')
    lines = []

    class Collect(logging.Handler):

        def emit(self, record):
            lines.append(record.getMessage())

    handler = Collect()
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
