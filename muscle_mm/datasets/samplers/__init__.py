"""Data samplers (registered in mmpretrain's ``DATA_SAMPLERS``)."""
from .sample_seed_sampler import SampleSeedSampler, sample_rng, sample_seed

__all__ = ['SampleSeedSampler', 'sample_rng', 'sample_seed']
