"""Feature-based distillation losses: the parts of the baselines of Table 1
that MMRazor lacks or gets wrong (RKD's angle loss, CRD, OFD, ReviewKD's
HCL).

MMRazor's ``DistanceWiseRKD`` is used as it is; its ``ConvModuleConnector``
and ``CRDConnector`` are extended with input checks in
``mmcls_kd.models.connectors``; the recorders are in
``mmcls_kd.models.recorders``.
"""
from .crd import CRDLoss
from .hcl import HCLLoss
from .ofd import OFDLoss, ofd_margin
from .rkd import RKDAngleLoss

__all__ = [
    'CRDLoss', 'HCLLoss', 'OFDLoss', 'RKDAngleLoss', 'ofd_margin'
]
