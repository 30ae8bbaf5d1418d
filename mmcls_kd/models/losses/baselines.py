"""The baseline losses NKD/USKD are compared with (KD, DKD, WSLD, NormKD,
Tf-KD_reg, Zipf's LS); importing this module registers them."""
from .dkd import DKDLoss
from .kd import KDLoss
from .normkd import NormKDLoss
from .tfkd import TfKDRegLoss
from .wsld import WSLDLoss
from .zipf_ls import ZipfLSLoss

__all__ = [
    'DKDLoss', 'KDLoss', 'NormKDLoss', 'TfKDRegLoss', 'WSLDLoss', 'ZipfLSLoss'
]
