"""Importing the losses package registers every loss in the package's
scope, ahead of MMRazor's losses of the same name."""
from mmengine.registry import DefaultScope

from mmcls_kd.models import losses
from mmcls_kd.registry import MODELS


def test_every_export_is_registered_in_this_scope():
    assert sorted(losses.__all__) == [
        'CRDLoss', 'DKDLoss', 'HCLLoss', 'KDLoss', 'NKDLoss', 'NormKDLoss',
        'OFDLoss', 'RKDAngleLoss', 'TfKDRegLoss', 'USKDLoss', 'WSLDLoss',
        'ZipfLSLoss'
    ]
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        for name in losses.__all__:
            assert MODELS.get(name) is getattr(losses, name)
    # MMRazor's DKDLoss stays reachable with its prefix.
    razor = MODELS.build(dict(type='mmrazor.DKDLoss'))
    assert type(razor).__module__.startswith('mmrazor')
