"""Importing the losses package registers every loss in the package's
scope, ahead of MMRazor's losses of the same name."""
from mmengine.registry import DefaultScope

from mmcls_kd.models import losses
from mmcls_kd.registry import MODELS


def test_every_exported_loss_is_registered_in_this_scope():
    modules = [n for n in losses.__all__ if n.endswith('Loss')]
    assert sorted(modules) == [
        'ABLoss', 'ATLoss', 'CCLoss', 'CRDLoss', 'CTKDLoss', 'DISTLoss',
        'DKDLoss', 'FSPLoss', 'FTLoss', 'FitNetLoss', 'HCLLoss', 'KDLoss',
        'KDSVDLoss', 'MLKDLoss', 'NKDLoss', 'NSTLoss', 'NormKDLoss',
        'OFDLoss', 'PKTLoss', 'RKDAngleLoss', 'SPLoss', 'TfKDRegLoss',
        'USKDLoss', 'VIDLoss', 'WSLDLoss', 'WTTMLoss', 'ZipfLSLoss'
    ]
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        for name in modules:
            assert MODELS.get(name) is getattr(losses, name)
    # MMRazor's losses of the same name stay reachable with their prefix.
    for name in ('ABLoss', 'ATLoss', 'DKDLoss', 'DISTLoss', 'FTLoss'):
        razor = MODELS.build(dict(type=f'mmrazor.{name}'))
        assert type(razor).__module__.startswith('mmrazor')


def test_the_functionals_are_exported():
    functionals = [n for n in losses.__all__ if n.islower()]
    assert sorted(functionals) == [
        'ctkd_loss', 'dist_loss', 'dkd_loss', 'kd_loss', 'mlkd_terms',
        'nkd_loss', 'tfkd_reg_loss', 'uskd_loss', 'uskd_soft_labels',
        'wsld_loss',
        'wttm_loss', 'zipf_ls_loss'
    ]
    assert all(callable(getattr(losses, name)) for name in functionals)
    assert 'USKDSoftLabels' in losses.__all__
