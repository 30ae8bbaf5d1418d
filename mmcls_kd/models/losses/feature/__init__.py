"""Feature-based distillation losses: the parts of the baselines of Table 1
that MMRazor lacks or gets wrong (RKD's angle loss, CRD, OFD, ReviewKD's
HCL), and the feature methods of the CRD benchmark (FitNet, AT, SP, CC,
VID, PKT; AB and FT extend MMRazor's losses; FSP, NST and KD-SVD are not in
MMRazor).

MMRazor's ``DistanceWiseRKD`` is used as it is; its ``ConvModuleConnector``
and ``CRDConnector`` are extended with input checks in
``mmcls_kd.models.connectors``; the recorders are in
``mmcls_kd.models.recorders``.
"""
from .ab import ABLoss
from .at import ATLoss
from .cc import CCLoss
from .crd import CRDLoss
from .fitnet import FitNetLoss
from .fsp import FSPLoss
from .ft import FTLoss
from .hcl import HCLLoss
from .kdsvd import KDSVDLoss
from .nst import NSTLoss
from .ofd import OFDLoss, ofd_margin
from .pkt import PKTLoss
from .rkd import RKDAngleLoss
from .sp import SPLoss
from .vid import VIDLoss

__all__ = [
    'ABLoss', 'ATLoss', 'CCLoss', 'CRDLoss', 'FSPLoss', 'FTLoss',
    'FitNetLoss', 'HCLLoss', 'KDSVDLoss', 'NSTLoss', 'OFDLoss', 'PKTLoss',
    'RKDAngleLoss', 'SPLoss', 'VIDLoss', 'ofd_margin'
]
