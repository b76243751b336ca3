from .checkpoint_loading import UnsafeCheckpointError, safe_torch_load

__all__ = ['UnsafeCheckpointError', 'safe_torch_load']
