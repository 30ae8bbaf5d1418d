"""Feature-based distillation losses: the parts of the baselines of Table 1
that MMRazor lacks or gets wrong (RKD's angle loss, CRD, OFD, ReviewKD's
HCL) and of the CRD benchmark (FitNet, AT, SP, CC, VID, PKT).

MMRazor's ``DistanceWiseRKD`` is used as it is; its ``ConvModuleConnector``
and ``CRDConnector`` are extended with input checks in
``mmcls_kd.models.connectors``; the recorders are in
``mmcls_kd.models.recorders``.
"""
from .at import ATLoss
from .cc import CCLoss
from .crd import CRDLoss
from .fitnet import FitNetLoss
from .hcl import HCLLoss
from .ofd import OFDLoss, ofd_margin
from .pkt import PKTLoss
from .rkd import RKDAngleLoss
from .sp import SPLoss
from .vid import VIDLoss

__all__ = [
    'ATLoss', 'CCLoss', 'CRDLoss', 'FitNetLoss', 'HCLLoss', 'OFDLoss',
    'PKTLoss', 'RKDAngleLoss', 'SPLoss', 'VIDLoss', 'ofd_margin'
]
