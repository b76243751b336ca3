import pytest

from muscle_mm.models.utils import check_queue_divisible


def test_queue_shorter_than_batch():
    with pytest.raises(ValueError, match='queue_len=24'):
        check_queue_divisible(queue_len=16, batch_size=24)
