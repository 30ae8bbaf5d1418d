"""Every distillation loss of the package; importing registers them.

Each logit loss is a function returning the loss of each sample (N,) and a
registered module that validates its inputs, reduces the batch as the
method does and applies ``loss_weight`` last.
"""
from .ctkd import CTKDLoss, ctkd_loss
from .dist import DISTLoss, dist_loss
from .dkd import DKDLoss, dkd_loss
from .feature import (ABLoss, ATLoss, CCLoss, CRDLoss, FitNetLoss, FSPLoss,
                      FTLoss, HCLLoss, KDSVDLoss, NSTLoss, OFDLoss, PKTLoss,
                      RKDAngleLoss, SPLoss, VIDLoss)
from .kd import KDLoss, kd_loss
from .mlkd import MLKDLoss, mlkd_terms
from .nkd import NKDLoss, nkd_loss
from .normkd import NormKDLoss
from .tfkd import TfKDRegLoss, tfkd_reg_loss
from .uskd import USKDLoss, uskd_loss
from .uskd_labels import USKDSoftLabels, uskd_soft_labels
from .wsld import WSLDLoss, wsld_loss
from .wttm import WTTMLoss, wttm_loss
from .zipf_ls import ZipfLSLoss, zipf_ls_loss

__all__ = [
    'ABLoss', 'ATLoss', 'CCLoss', 'CRDLoss', 'CTKDLoss', 'DISTLoss',
    'DKDLoss', 'FSPLoss', 'FTLoss', 'FitNetLoss', 'HCLLoss', 'KDLoss',
    'KDSVDLoss', 'MLKDLoss', 'NKDLoss', 'NSTLoss', 'NormKDLoss', 'OFDLoss',
    'PKTLoss', 'RKDAngleLoss', 'SPLoss', 'TfKDRegLoss', 'USKDLoss',
    'USKDSoftLabels', 'VIDLoss', 'WSLDLoss', 'WTTMLoss', 'ZipfLSLoss',
    'ctkd_loss', 'dist_loss', 'dkd_loss', 'kd_loss', 'mlkd_terms', 'nkd_loss',
    'tfkd_reg_loss', 'uskd_loss', 'uskd_soft_labels', 'wsld_loss',
    'wttm_loss', 'zipf_ls_loss'
]
