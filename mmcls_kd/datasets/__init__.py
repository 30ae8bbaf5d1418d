from .digits import Digits
from .crd import CRDDataset

__all__ = ['Digits', 'CRDDataset']
