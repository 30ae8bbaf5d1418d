from .digits import Digits
from .crd import CRDDataset
from .seeded import (SampleKey, SeededAugment, SeededBatchAugment,
                     SeededSampler, sample_seed, seed_batch_augments,
                     seeded_loader)

__all__ = [
    'Digits', 'CRDDataset', 'SampleKey', 'SeededAugment',
    'SeededBatchAugment', 'SeededSampler', 'sample_seed',
    'seed_batch_augments', 'seeded_loader'
]
