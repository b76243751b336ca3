"""MUSCLE's multi-task continual training loop (paper §2.2)."""
import logging
from typing import Dict, Sequence, Union

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.base_loop import BaseLoop
from torch.utils.data import DataLoader

from muscle_mm.registry import LOOPS
from muscle_mm.utils.rng_state import get_rng_state, set_rng_state
from .continual_plan import ContinualPlan, Segment

PLAN_KEY = 'continual_plan'  # message-hub info read by CyclicCosineLR and the log processor
RNG_KEY = 'continual_rng_state'


def build_task_loaders(runner, loaders: Dict[str, Union[dict, DataLoader]],
                       tasks: Sequence[str], what: str) -> Dict[str, DataLoader]:
    """One built dataloader per task, in the model's task order; names must match exactly."""
    if not isinstance(loaders, dict) or 'dataset' in loaders:
        raise TypeError(f'{what} must be a dict of task name -> dataloader config for the tasks '
                        f'{list(tasks)}, got {type(loaders).__name__}'
                        + (' with a single dataset' if isinstance(loaders, dict) else ''))
    unknown, missing = sorted(set(loaders) - set(tasks)), sorted(set(tasks) - set(loaders))
    if unknown or missing:
        raise KeyError(f'{what}: unknown task(s) {unknown}, missing task(s) {missing}; the model '
                       f'has tasks {list(tasks)}')
    built = {}
    for task in tasks:
        loader = loaders[task]
        if isinstance(loader, dict):
            loader = runner.build_dataloader(
                loader, seed=runner.seed,
                diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed', False))
        if len(loader.dataset) == 0 or len(loader) == 0:
            ds = loader.dataset
            raise ValueError(f'{what}.{task}: the {type(ds).__name__} dataset '
                             f"({getattr(ds, 'data_root', '?')}, split "
                             f"{getattr(ds, 'split', '?')!r}) is empty")
        built[task] = loader
    return built


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


@LOOPS.register_module()
class MultiTaskContinualLoop(BaseLoop):
    """Rounds of task iterates: each round runs every task for one epoch of its own loader.

    `MUSCLE <https://arxiv.org/abs/2310.02000>`_ §2.2: "10 rounds of learning process, where each
    round iterates the 4 learning tasks one-by-one and each iterate trains the backbone with 1
    epoch using a task-specific head", with the task order reshuffled every round. The order comes
    from a :class:`ContinualPlan` of the run's seed, so it is the same on every process and every
    rank runs the same task at the same iteration (what DDP needs).

    Standard hooks see a normal run: one epoch = one round (``before/after_train_epoch`` bracket a
    round, so ``by_epoch`` schedulers and checkpoints count rounds), ``batch_idx`` counts within the
    task iterate, and ``runner.train_dataloader`` is the current task's loader. Two extra events
    bracket each task iterate: ``before_train_task(runner, task, round_idx)`` and
    ``after_train_task(runner, task, round_idx)`` (e.g. :class:`L2SPHook` re-anchors there). A run
    resumed inside a task iterate continues at the same task and batch, with the random state saved
    at that iteration; ``before_train_task`` is not fired again (hooks keep what it set in their
    checkpoint state).

    Args:
        runner (Runner): The runner.
        dataloader (dict[str, dict | DataLoader]): ``train_dataloader``: task name -> loader,
            one per task of the model.
        rounds (int): Number of rounds. Defaults to 10 (paper).
        task_order (str | list[str]): 'shuffle' (paper), 'fixed' (MUSCLE--), or a list.
            Defaults to 'shuffle'.
        val_interval (int): Validate every ``val_interval`` rounds. Defaults to 1.
        val_begin (int): First round that validates. Defaults to 1.
        val_after_each_task (bool): Validate after every task iterate instead (a finer forgetting
            matrix, 4x the validation cost). Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Dict[str, Union[dict, DataLoader]],
                 rounds: int = 10,
                 task_order: Union[str, Sequence[str]] = 'shuffle',
                 val_interval: int = 1,
                 val_begin: int = 1,
                 val_after_each_task: bool = False) -> None:
        self._runner = runner
        model = unwrap(runner.model)
        tasks = getattr(model, 'task_names', None)
        if not tasks:
            raise TypeError('MultiTaskContinualLoop needs a multi-task model (MultiTaskModel), '
                            f'got {type(model).__name__}')
        self.dataloaders = build_task_loaders(runner, dataloader, tasks, 'train_dataloader')
        self.plan = ContinualPlan({t: len(dl) for t, dl in self.dataloaders.items()}, rounds,
                                  task_order, runner.seed)
        runner.message_hub.update_info(PLAN_KEY, self.plan.state())
        self._max_iters, self._max_epochs = self.plan.total, rounds
        self._iter = self._epoch = 0
        self.val_interval, self.val_begin = val_interval, val_begin
        self.val_after_each_task = val_after_each_task
        self.stop_training = False
        self.segment: Segment = self.plan.segments[0]
        print_log('MultiTaskContinualLoop: ' + self.describe(), logger='current')

    def describe(self) -> str:
        lengths = ', '.join(f'{t} {n}' for t, n in self.plan.lengths.items())
        orders = '; '.join(f'{r + 1}: ' + ' > '.join(o) for r, o in enumerate(self.plan.orders))
        return (f'{self.plan.rounds} rounds, {self.plan.total} iterations (per task epoch: '
                f'{lengths}), task order {self.plan.task_order!r} from seed {self.plan.seed}: '
                f'{orders}')

    @property
    def dataloader(self) -> DataLoader:
        """The current task's loader (what hooks and the log processor see)."""
        return self.dataloaders[self.segment.task]

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def run(self):
        self.runner.call_hook('before_train')
        resuming = self._iter > 0
        while self._iter < self._max_iters and not self.stop_training:
            self.segment = seg = self.plan.locate(self._iter)
            if seg.position == 0 and self._iter == seg.start or resuming:
                self.runner.call_hook('before_train_epoch')
            self._run_task(seg, skip=self._iter - seg.start, resuming=resuming)
            resuming = False
            if self.stop_training:
                break
            if self.val_after_each_task:
                self._maybe_validate(seg.round + 1)
            if seg.position == len(self.plan.orders[seg.round]) - 1:  # round done
                self.runner.call_hook('after_train_epoch')
                self._epoch += 1
                if not self.val_after_each_task:
                    self._maybe_validate(self._epoch)
        self.runner.call_hook('after_train')
        return self.runner.model

    def _maybe_validate(self, round_no: int) -> None:
        if (self.runner.val_loop is not None and round_no >= self.val_begin
                and (round_no % self.val_interval == 0 or round_no == self.plan.rounds)):
            self.runner.val_loop.run()

    def _run_task(self, seg: Segment, skip: int, resuming: bool) -> None:
        hub = self.runner.message_hub
        hub.update_info('continual_task', seg.task)
        loader = self.dataloaders[seg.task]
        if hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(seg.round)  # a new, seeded sample order every round
        saved_rng = hub.get_info(RNG_KEY) if resuming else None
        if skip == 0:
            if saved_rng is not None:
                set_rng_state(saved_rng)
            self.runner.call_hook('before_train_task', task=seg.task, round_idx=seg.round)
        print_log(f'round {seg.round + 1}/{self.plan.rounds}, task {seg.position + 1}/'
                  f'{len(self.plan.orders[seg.round])}: {seg.task} ({seg.length} iterations'
                  + (f', resuming at {skip}' if skip else '') + ')', logger='current')
        self.runner.model.train()
        batches = iter(loader)
        if skip:
            print_log(f'Advance the {seg.task} loader {skip} batches to skip data already '
                      'trained on', logger='current', level=logging.WARNING)
            for _ in range(skip):
                next(batches)
            if saved_rng is not None:
                set_rng_state(saved_rng)
        for idx in range(skip, seg.length):
            if self.stop_training:
                return
            data = next(batches)
            data = dict(data, task=seg.task)
            self.run_iter(idx, data)
        self.runner.call_hook('after_train_task', task=seg.task, round_idx=seg.round)

    def run_iter(self, idx: int, data_batch: dict) -> None:
        self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        # The random state after this iteration goes into any checkpoint saved now.
        self.runner.message_hub.update_info(RNG_KEY, get_rng_state())
        self.runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
        self._iter += 1
