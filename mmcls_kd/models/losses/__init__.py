from .nkd import NKDLoss
from .uskd import USKDLoss

__all__ = ['NKDLoss', 'USKDLoss']
