"""One shared backbone, one stock mmpretrain / mmdet / mmseg model per task (MUSCLE §2.2)."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from torch import nn

from muscle_mm.utils.checkpoint_convert import load_backbone_weights
from .multi_task_data_preprocessor import MultiTaskDataPreprocessor
from .task_backbone_view import TaskBackboneView
from .task_norm_stats import TaskNormStats

NORM_STATS = ('shared', 'per_task')


@MODELS.register_module()
class MultiTaskModel(BaseModel):
    """The network of MUSCLE's multi-task continual stage.

    `MUSCLE <https://arxiv.org/abs/2310.02000>`_ trains one ResNet "with alternating task-specific
    heads": an FC layer for Pneumonia and MURA, DeepLab-V3 for lung segmentation and Faster R-CNN
    for TB detection. Each task here is a complete stock model built from its own config (e.g.
    ``ImageClassifier``, ``EncoderDecoder``, ``FasterRCNN`` with ``_scope_`` set), so its heads,
    losses, assigners, samplers and data preprocessor are the libraries' own. Its ``backbone`` is
    then replaced by a :class:`TaskBackboneView` of the shared backbone: the weights exist once,
    under ``backbone.``, and a checkpoint drops into any mm config with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``. What each task's own
    backbone config asks for (output stride / dilation, output stages, ``norm_eval``) is applied
    around its calls, so DeepLabV3 runs at OS8 and Faster R-CNN with frozen BN statistics on the
    same weights. Each task's neck and heads start exactly as in its stock model built under the
    run's seed (:class:`TaskModels`); the task backbones' init never reaches the shared one.

    Batches carry their task name (``data['task']``, added by the continual loops); losses come
    back prefixed with it (``pneumonia.loss``, ``tbx.loss_rpn_cls``, ``lung.decode.loss_ce``).

    Args:
        backbone (dict): The shared backbone, e.g. mmpretrain ``ResNet`` with
            ``out_indices=(0, 1, 2, 3)``.
        tasks (dict[str, dict]): Task name -> config of a complete stock model whose backbone has
            the same tensors as ``backbone`` (other strides / dilations / out_indices are fine).
        backbone_checkpoint (str, optional): Checkpoint whose ``backbone.*`` tensors (an MD-MoCo or
            MUSCLE checkpoint) initialize the shared backbone, all of them and strictly, in
            :meth:`init_weights`. Defaults to None (the backbone's own ``init_cfg``).
        norm_stats (str): The backbone's BN running statistics across tasks: 'shared' (one set,
            which every task's train-mode forward moves, as the paper's one backbone) or
            'per_task' (:class:`TaskNormStats`: each task trains and is evaluated with its own,
            swapped in with the task; ``backbone.*`` holds the last-trained task's). Defaults to
            'shared'.
        data_preprocessor (dict, optional): Defaults to ``MultiTaskDataPreprocessor``.
        init_cfg (dict | list[dict], optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 tasks: Dict[str, dict],
                 backbone_checkpoint: Optional[str] = None,
                 norm_stats: str = 'shared',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = MultiTaskDataPreprocessor()
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not tasks:
            raise ValueError('MultiTaskModel needs at least one task')
        self.backbone = MODELS.build(backbone)
        self.backbone_checkpoint = backbone_checkpoint
        if norm_stats not in NORM_STATS:
            raise ValueError(f'MultiTaskModel: norm_stats must be one of {NORM_STATS}, got '
                             f'{norm_stats!r}')
        self.norm_stats = norm_stats
        stats = TaskNormStats(self.backbone, list(tasks)) if norm_stats == 'per_task' else None
        self.tasks = TaskModels()
        self.views: Dict[str, TaskBackboneView] = {}
        for name, cfg in tasks.items():
            if '.' in name or '/' in name:
                raise ValueError(f"task name {name!r}: no '.' or '/' (they prefix loss and metric "
                                 'names)')
            model, own = self.tasks.build(name, cfg)
            view = TaskBackboneView(self.backbone, own, name, norm_stats=stats)
            object.__setattr__(model, 'backbone', view)  # plain attribute: not a submodule
            self.views[name] = view
        if stats is not None:
            self.task_norm_stats = stats  # registered after the backbone: loads after it
        self.data_preprocessor.bind({
            name: model.data_preprocessor
            for name, model in self.tasks.items()
        })

    @property
    def task_names(self) -> List[str]:
        return list(self.tasks.keys())

    def init_weights(self) -> None:
        super().init_weights()
        if self.backbone_checkpoint:
            load_backbone_weights(self.backbone, self.backbone_checkpoint)
        if self.norm_stats == 'per_task':
            self.task_norm_stats.reset()  # every task starts from the (pre-trained) statistics

    def forward(self, inputs, data_samples=None, mode: str = 'tensor', task: str = None):
        if task not in self.tasks:
            raise KeyError(f'MultiTaskModel: task {task!r} is not one of {self.task_names}')
        out = self.tasks[task](inputs, data_samples, mode=mode)
        if mode == 'loss':
            return {f'{task}.{k}': v for k, v in out.items()}
        return out


class TaskModels(nn.ModuleDict):
    """The task models, each initialized exactly as its stock model would be.

    A plain ``ModuleDict`` has no ``init_weights``, so mmengine would never run the heads'
    ``init_cfg`` (e.g. Faster R-CNN's ``fc_reg`` would keep PyTorch's default init, std 0.018
    instead of mmdet's 0.001). Each task model is built, and later initialized, in its own random
    stream: the one ``torch.manual_seed(seed)`` starts, ``seed`` being the run's
    (``torch.initial_seed()``, which mmengine's ``randomness.seed`` sets). Its discarded backbone is
    kept until then and initialized first, in its stock place, so every head gets the tensors that
    ``torch.manual_seed(seed); m = MODELS.build(task_cfg); m.init_weights()`` gives it, and the
    shared backbone draws from the outer stream as if no task were there.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seed = torch.initial_seed()
        # task -> (its stock backbone, its modules' stock order, its RNG state after building)
        self._pending: Dict[str, tuple] = {}

    @property
    def is_init(self) -> bool:
        return not self._pending

    def build(self, name: str, cfg: dict) -> tuple:
        """Build task ``name``'s stock model; return it and the backbone taken out of it."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = MODELS.build(cfg)
            rng = torch.get_rng_state()
        order = list(model._modules)
        own = model._modules.pop('backbone', None)
        if own is None:
            raise ValueError(f'task {name!r}: {type(model).__name__} has no backbone to share')
        init_cfg = getattr(own, 'init_cfg', None) or []
        if any(
                c.get('type') == 'Pretrained'
                for c in ([init_cfg] if isinstance(init_cfg, dict) else init_cfg)):
            raise ValueError(f'task {name!r}: its backbone has a Pretrained init_cfg, which would '
                             'load into a discarded copy; load the shared backbone with '
                             'model.backbone_checkpoint (or model.backbone.init_cfg) instead')
        self[name] = model
        self._pending[name] = (own, order, rng)
        return model, own

    def init_weights(self) -> None:
        for name, (own, order, rng) in list(self._pending.items()):
            model = self[name]
            device = next(model.parameters(), torch.empty(0)).device
            cuda = [torch.cuda.current_device() if device.index is None else device.index
                    ] if device.type == 'cuda' else []
            # Initialized as a top-level model, as the stock one is: mmengine's init bookkeeping
            # of the enclosing model (``_params_init_info``) knows no backbone in it.
            info = {
                m: m.__dict__.pop('_params_init_info')
                for m in model.modules() if '_params_init_info' in m.__dict__
            }
            modules = model._modules
            model._modules = type(modules)(
                (k, own.to(device) if k == 'backbone' else modules[k]) for k in order)
            try:
                with torch.random.fork_rng(devices=cuda):
                    torch.set_rng_state(rng)
                    for index in cuda:  # as after mmengine's seeding: nothing drawn on it yet
                        torch.cuda.default_generators[index].manual_seed(self.seed)
                    model.init_weights()
            finally:
                model._modules = modules
                for m, i in info.items():
                    m._params_init_info = i
            del self._pending[name]
