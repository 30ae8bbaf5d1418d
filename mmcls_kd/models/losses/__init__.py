"""Every distillation loss of the package; importing registers them."""
from .dkd import DKDLoss
from .feature import CRDLoss, HCLLoss, OFDLoss, RKDAngleLoss
from .kd import KDLoss
from .nkd import NKDLoss
from .normkd import NormKDLoss
from .tfkd import TfKDRegLoss
from .uskd import USKDLoss
from .wsld import WSLDLoss
from .zipf_ls import ZipfLSLoss

__all__ = [
    'CRDLoss', 'DKDLoss', 'HCLLoss', 'KDLoss', 'NKDLoss', 'NormKDLoss',
    'OFDLoss', 'RKDAngleLoss', 'TfKDRegLoss', 'USKDLoss', 'WSLDLoss',
    'ZipfLSLoss'
]
