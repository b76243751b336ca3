import pytest

from muscle_mm.engine.runner import ContinualPlan

LENGTHS = dict(pneumonia=3, mura=5, lung=2, tbx=4)


def test_orders_reshuffled_per_round_and_reproducible():
    plan = ContinualPlan(LENGTHS, rounds=10, task_order='shuffle', seed=7)
    assert all(sorted(o) == sorted(LENGTHS) for o in plan.orders)
    assert len({tuple(o) for o in plan.orders}) > 1  # the order changes between rounds
    again = ContinualPlan(LENGTHS, rounds=10, task_order='shuffle', seed=7)
    assert again.orders == plan.orders  # a function of the seed only
    other = ContinualPlan(LENGTHS, rounds=10, task_order='shuffle', seed=8)
    assert other.orders != plan.orders


def test_orders_are_stable_across_numpy_versions():
    # numpy's legacy RandomState stream is frozen; these orders must never change silently.
    plan = ContinualPlan(LENGTHS, rounds=3, task_order='shuffle', seed=0)
    assert plan.orders == [['pneumonia', 'lung', 'tbx',
                            'mura'], ['mura', 'lung', 'pneumonia', 'tbx'],
                           ['tbx', 'lung', 'pneumonia', 'mura']]


def test_fixed_and_explicit_orders():
    assert ContinualPlan(LENGTHS, 2, 'fixed').orders == [list(LENGTHS)] * 2
    order = ['tbx', 'lung', 'mura', 'pneumonia']
    assert ContinualPlan(LENGTHS, 2, order).orders == [order] * 2


def test_segments_cover_every_iteration_once():
    plan = ContinualPlan(LENGTHS, rounds=4, seed=3)
    assert plan.total == 4 * sum(LENGTHS.values())
    seen = [plan.locate(i) for i in range(plan.total)]
    for r in range(4):
        in_round = [s for s in seen if s.round == r]
        assert [s.task for s in dict.fromkeys(in_round)] == plan.orders[r]
        for task, n in LENGTHS.items():
            assert sum(1 for s in in_round if s.task == task) == n
    seg = plan.locate(plan.segments[5].start + 1)
    assert seg == plan.segments[5]
    start, n = plan.round_span(2)
    assert n == sum(LENGTHS.values()) and start == 2 * n
    with pytest.raises(IndexError):
        plan.locate(plan.total)


@pytest.mark.parametrize('kwargs, match', [
    (dict(rounds=0), 'rounds'),
    (dict(task_order='random'), 'task_order'),
    (dict(task_order=['tbx', 'lung']), 'each task'),
])
def test_bad_plans(kwargs, match):
    args = dict(lengths=LENGTHS, rounds=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ContinualPlan(**args)


def test_differences_name_what_changed():
    plan = ContinualPlan(LENGTHS, rounds=3, seed=0)
    assert plan.differences(ContinualPlan(LENGTHS, rounds=3, seed=0)) == []
    fixed = ['tbx', 'lung', 'mura', 'pneumonia']
    other = ContinualPlan(dict(LENGTHS, mura=10), rounds=3, task_order=fixed, seed=0)
    changed = [r + 1 for r in range(3) if other.orders[r] != plan.orders[r]]
    assert changed == [1, 2, 3]
    text = other.differences(plan)
    assert text[:2] == [
        f"task_order 'shuffle' -> {fixed!r}",
        'mura iterate length 5 -> 10: batch size, dataset or world size changed'
    ]
    assert text[2] == 'task order of round 1 differs: pneumonia > lung > tbx > mura -> ' \
                      'tbx > lung > mura > pneumonia'
    assert [t.split(':')[0]
            for t in text[2:]] == [f'task order of round {r} differs' for r in changed]
    assert ContinualPlan(
        LENGTHS, 4, seed=1).differences(plan)[:2] == ['seed 0 -> 1', 'rounds 3 -> 4']


def test_empty_task_refused():
    with pytest.raises(ValueError, match=r"\['lung'\]"):
        ContinualPlan(dict(LENGTHS, lung=0), rounds=1)


def test_task_loaders_must_match_the_model_tasks():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from muscle_mm.engine.runner.continual_loop import build_task_loaders
    full = DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=2)
    empty = DataLoader(TensorDataset(torch.zeros(0, 1)), batch_size=2)
    with pytest.raises(
            KeyError, match=r"unknown task\(s\) \['lungs'\].*missing task\(s\) "
            r"\['lung'\]"):
        build_task_loaders(None, dict(cls=full, lungs=full), ['cls', 'lung'], 'train_dataloader')
    with pytest.raises(ValueError, match='train_dataloader.lung: the TensorDataset dataset'):
        build_task_loaders(None, dict(cls=full, lung=empty), ['cls', 'lung'], 'train_dataloader')
    with pytest.raises(TypeError, match='single dataset'):
        build_task_loaders(None, dict(dataset=dict(type='X')), ['cls'], 'train_dataloader')
