"""Feature-based distillation losses: the parts of the baselines of Table 1
that MMRazor lacks or gets wrong (RKD's angle loss, CRD, OFD, ReviewKD's
HCL), and the feature methods of the CRD benchmark (AB and FT extend
MMRazor's losses; FSP, NST and KD-SVD are not in MMRazor).

MMRazor's ``DistanceWiseRKD`` is used as it is; its ``ConvModuleConnector``
and ``CRDConnector`` are extended with input checks in
``mmcls_kd.models.connectors``; the recorders are in
``mmcls_kd.models.recorders``.
"""
from .ab import ABLoss
from .crd import CRDLoss
from .fsp import FSPLoss
from .ft import FTLoss
from .hcl import HCLLoss
from .kdsvd import KDSVDLoss
from .nst import NSTLoss
from .ofd import OFDLoss, ofd_margin
from .rkd import RKDAngleLoss

__all__ = [
    'ABLoss', 'CRDLoss', 'FSPLoss', 'FTLoss', 'HCLLoss', 'KDSVDLoss',
    'NSTLoss', 'OFDLoss', 'RKDAngleLoss', 'ofd_margin'
]
