"""MUSCLE's multi-task continual training loop (paper §2.2)."""
import logging
from typing import Dict, Sequence, Union

from mmengine.dist import broadcast_object_list, get_world_size
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.base_loop import BaseLoop
from torch.utils.data import DataLoader

from muscle_mm.registry import LOOPS
from muscle_mm.utils.rng_state import (gather_rng_states, get_rng_state, own_rng_state,
                                       saved_world_size, set_rng_state)
from .continual_plan import ContinualPlan, Segment

PLAN_KEY = 'continual_plan'  # message-hub info read by CyclicCosineLR and the log processor
RNG_KEY = 'continual_rng_state'  # every rank's random state after the last iteration


def base_seed(runner) -> int:
    """The run's seed as configured, the same on every rank.

    ``runner.seed`` is seed + rank with ``randomness.diff_rank_seed=True``; without a configured
    seed mmengine draws one (rank 0's, broadcast) and adds the rank to it too. Rank 0's
    ``runner.seed`` is the base seed in every case.
    """
    seed = runner._randomness_cfg.get('seed')
    if seed is None:
        box = [runner.seed]
        broadcast_object_list(box, src=0)
        seed = box[0]
    return int(seed)


def build_task_loaders(runner, loaders: Dict[str, Union[dict, DataLoader]], tasks: Sequence[str],
                       what: str) -> Dict[str, DataLoader]:
    """One built dataloader per task, in the model's task order; names must match exactly."""
    if not isinstance(loaders, dict) or 'dataset' in loaders:
        raise TypeError(f'{what} must be a dict of task name -> dataloader config for the tasks '
                        f'{list(tasks)}, got {type(loaders).__name__}' +
                        (' with a single dataset' if isinstance(loaders, dict) else ''))
    unknown, missing = sorted(set(loaders) - set(tasks)), sorted(set(tasks) - set(loaders))
    if unknown or missing:
        raise KeyError(f'{what}: unknown task(s) {unknown}, missing task(s) {missing}; the model '
                       f'has tasks {list(tasks)}')
    built = {}
    for task in tasks:
        loader = loaders[task]
        if isinstance(loader, dict):
            loader = runner.build_dataloader(
                loader,
                seed=runner.seed,
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
    from a :class:`ContinualPlan` of the run's base seed (``randomness.seed``, not the per-rank
    ``runner.seed`` of ``diff_rank_seed``), so it is the same on every process and every rank
    runs the same task at the same iteration (what DDP needs).

    Standard hooks see a normal run: one epoch = one round (``before/after_train_epoch`` bracket a
    round, so ``by_epoch`` schedulers and checkpoints count rounds), ``batch_idx`` counts within the
    task iterate, and ``runner.train_dataloader`` is the current task's loader. Two extra events
    bracket each task iterate: ``before_train_task(runner, task, round_idx)`` and
    ``after_train_task(runner, task, round_idx)`` (e.g. :class:`L2SPHook` re-anchors there). A run
    resumed inside a task iterate continues at the same task and batch, with the random state each
    rank had after that iteration; ``before_train_task`` is not fired again (hooks keep what it
    set in their checkpoint state). Validation runs on a copy of the random state (it draws, e.g.
    a loader's base seed, and a checkpoint of the round is written before it), so training is the
    same with or without validation, and resuming from any checkpoint, at a round boundary or
    inside an iterate, continues the uninterrupted run exactly. A resume whose rebuilt plan differs
    from the checkpoint's (seed, rounds, order, batch size or world size changed) is refused.

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
        self._seed_given = runner._randomness_cfg.get('seed') is not None
        self.plan = ContinualPlan({
            t: len(dl)
            for t, dl in self.dataloaders.items()
        }, rounds, task_order, base_seed(runner))
        self._published = self.plan.state()  # a resume replaces it with the checkpoint's copy
        runner.message_hub.update_info(PLAN_KEY, self._published)
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
        self._check_resume()
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

    def _check_resume(self) -> None:
        """Refuse to continue a checkpoint whose plan or world size this run does not rebuild."""
        hub = self.runner.message_hub
        saved = hub.get_info(PLAN_KEY)
        if saved is self._published:  # nothing resumed (or load_from: weights only)
            if self._iter or self._epoch:
                raise RuntimeError(f'resumed at iteration {self._iter} from a checkpoint that '
                                   'holds no continual plan (not written by '
                                   'MultiTaskContinualLoop): cannot tell which task comes next')
            return
        problems = self.plan.differences(ContinualPlan.from_state(saved))
        if problems and not self._seed_given and saved['seed'] != self.plan.seed:
            problems.append(f'randomness.seed is not set, so this run drew {self.plan.seed}: '
                            f'resume with --cfg-options randomness.seed={saved["seed"]}')
        rng = hub.get_info(RNG_KEY)
        if rng is not None and saved_world_size(rng) != get_world_size():
            problems.append(f'world size {saved_world_size(rng)} -> {get_world_size()}: each '
                            "rank's random state (and data shard) belongs to the saving run's "
                            'processes')
        if problems:
            raise RuntimeError('cannot resume: this run would train another schedule than the '
                               'checkpoint it continues (saved -> now): ' + '; '.join(problems) +
                               '. Resume with the settings the checkpoint was trained with, '
                               'or start a new run from its weights (load_from).')

    def _maybe_validate(self, round_no: int) -> None:
        if (self.runner.val_loop is not None and round_no >= self.val_begin
                and (round_no % self.val_interval == 0 or round_no == self.plan.rounds)):
            # Validation draws random numbers (each loader iterator draws a base seed) after the
            # round's checkpoint holds the training state: give training its state back.
            state = get_rng_state()
            self.runner.val_loop.run()
            set_rng_state(state)

    def _run_task(self, seg: Segment, skip: int, resuming: bool) -> None:
        hub = self.runner.message_hub
        hub.update_info('continual_task', seg.task)
        loader = self.dataloaders[seg.task]
        if hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(seg.round)  # a new, seeded sample order every round
        saved_rng = hub.get_info(RNG_KEY) if resuming else None
        saved_rng = None if saved_rng is None else own_rng_state(saved_rng)
        if skip == 0:
            if saved_rng is not None:
                set_rng_state(saved_rng)
            self.runner.call_hook('before_train_task', task=seg.task, round_idx=seg.round)
        print_log(
            f'round {seg.round + 1}/{self.plan.rounds}, task {seg.position + 1}/'
            f'{len(self.plan.orders[seg.round])}: {seg.task} ({seg.length} iterations' +
            (f', resuming at {skip}' if skip else '') + ')',
            logger='current')
        self.runner.model.train()
        batches = iter(loader)
        if skip:
            print_log(
                f'Advance the {seg.task} loader {skip} batches to skip data already '
                'trained on',
                logger='current',
                level=logging.WARNING)
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
        # Every rank's random state after this iteration goes into any checkpoint saved now (rank
        # 0 writes it: a collective, every rank gathers at the same iteration).
        self.runner.message_hub.update_info(RNG_KEY, gather_rng_states())
        self.runner.call_hook(
            'after_train_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        self._iter += 1
