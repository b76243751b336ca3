"""TensorBoard logging that turns itself off where ``tensorboard`` is not installed."""
import logging
from typing import Optional

from mmengine.logging import print_log
from mmengine.registry import VISBACKENDS
from mmengine.visualization import TensorboardVisBackend


def tensorboard_available() -> bool:
    """Whether ``torch.utils.tensorboard`` (what mmengine's backend writes with) imports."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        return False
    return True


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """mmengine's :class:`~mmengine.visualization.TensorboardVisBackend` where ``tensorboard``
    imports, and off (one info line, nothing written) where it does not.

    The configs list it beside ``LocalVisBackend``, so that TensorBoard curves appear under
    ``<work_dir>/<timestamp>/vis_data`` once ``pip install tensorboard`` is done, while a machine
    without it trains exactly as before instead of failing at the first logged scalar (the stock
    backend raises ImportError there). Registered in mmengine's ``VISBACKENDS``, which the
    mmpretrain, mmdet and mmseg registries fall back to.

    Args:
        save_dir (str): Where the event files go; the visualizer fills it in (its ``save_dir``).
    """

    def __init__(self, save_dir: str):
        super().__init__(save_dir)
        self.enabled = tensorboard_available()
        if not self.enabled:
            print_log(
                'OptionalTensorboardVisBackend: `tensorboard` is not installed, so no '
                'TensorBoard events are written (pip install tensorboard turns them on); '
                'the other vis backends log as usual.',
                logger='current',
                level=logging.INFO)

    def _init_env(self):
        if self.enabled:
            super()._init_env()

    @property
    def experiment(self):
        """The ``SummaryWriter``, or None while TensorBoard is off."""
        return super().experiment if self.enabled else None

    def add_config(self, config, **kwargs) -> None:
        if self.enabled:
            super().add_config(config, **kwargs)

    def add_image(self, name: str, image, step: int = 0, **kwargs) -> None:
        if self.enabled:
            super().add_image(name, image, step, **kwargs)

    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        if self.enabled:
            super().add_scalar(name, value, step, **kwargs)

    def add_scalars(self,
                    scalar_dict: dict,
                    step: int = 0,
                    file_path: Optional[str] = None,
                    **kwargs) -> None:
        if self.enabled:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)
