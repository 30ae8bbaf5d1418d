"""Importing the baselines module registers every baseline loss in the
package's scope, ahead of MMRazor's losses of the same name."""
from mmengine.registry import DefaultScope

from mmcls_kd.models.losses import baselines
from mmcls_kd.registry import MODELS


def test_every_export_is_registered_in_this_scope():
    assert sorted(baselines.__all__) == [
        'DKDLoss', 'KDLoss', 'NormKDLoss', 'TfKDRegLoss', 'WSLDLoss',
        'ZipfLSLoss'
    ]
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        for name in baselines.__all__:
            loss = MODELS.build(dict(type=name))
            assert type(loss) is getattr(baselines, name)
    # MMRazor's DKDLoss stays reachable with its prefix.
    razor = MODELS.build(dict(type='mmrazor.DKDLoss'))
    assert type(razor).__module__.startswith('mmrazor')
