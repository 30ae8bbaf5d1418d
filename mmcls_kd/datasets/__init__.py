from .digits import Digits
from .crd import CRDDataset
from .seeded import (SampleKey, SeededAugment, SeededSampler, sample_seed,
                     seeded_loader)

__all__ = [
    'Digits', 'CRDDataset', 'SampleKey', 'SeededAugment', 'SeededSampler',
    'sample_seed', 'seeded_loader'
]
