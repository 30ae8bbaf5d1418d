"""Feature-based distillation: the parts of the baselines of Table 1 that
MMRazor lacks or gets wrong (RKD's angle loss, CRD, OFD, ReviewKD's HCL)
and two recorders: pre-activation inputs copied before an in-place ReLU
overwrites them, and several recorded features as one list.

MMRazor's ``DistanceWiseRKD`` is used as it is; its ``ConvModuleConnector``
and ``CRDConnector`` are extended with input checks in
``mmcls_kd.models.heads.connectors``.
"""
from .crd import CRDLoss
from .hcl import HCLLoss
from .ofd import OFDLoss, ofd_margin
from .recorders import GroupRecorder, ModuleInputsCopyRecorder
from .rkd import RKDAngleLoss

__all__ = [
    'CRDLoss', 'GroupRecorder', 'HCLLoss', 'ModuleInputsCopyRecorder',
    'OFDLoss', 'RKDAngleLoss', 'ofd_margin'
]
