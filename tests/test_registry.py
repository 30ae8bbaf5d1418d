"""The mmcls_kd scope finds its own, MMPretrain's and MMRazor's components."""
import pytest
from mmengine.registry import DefaultScope

import mmcls_kd  # noqa: F401
from mmcls_kd import registry


def test_parents_follow_the_rule():
    from mmpretrain import registry as pretrain
    from mmrazor import registry as razor
    assert registry.MODELS.parent is pretrain.MODELS
    assert registry.DATASETS.parent is pretrain.DATASETS
    assert registry.METRICS.parent is pretrain.METRICS
    assert registry.TASK_UTILS.parent is razor.TASK_UTILS
    assert registry.LOOPS.parent is razor.LOOPS
    assert {r.scope for r in (registry.MODELS, registry.HOOKS)} == {'mmcls_kd'}


def test_lookup_across_scopes():
    from mmpretrain.models import ImageClassifier, ResNet
    from mmrazor.engine import SingleTeacherDistillValLoop
    from mmrazor.models import ConfigurableDistiller
    from mmrazor.models.task_modules import ModuleOutputsRecorder
    assert registry.MODELS.get('ImageClassifier') is ImageClassifier
    assert registry.MODELS.get('mmpretrain.ResNet') is ResNet
    assert registry.MODELS.get(
        'mmrazor.ConfigurableDistiller') is ConfigurableDistiller
    assert registry.TASK_UTILS.get(
        'ModuleOutputsRecorder') is ModuleOutputsRecorder
    assert registry.LOOPS.get(
        'SingleTeacherDistillValLoop') is SingleTeacherDistillValLoop
    assert registry.MODELS.get('TeacherDistill').__module__.startswith(
        'mmcls_kd')
    assert registry.DATASETS.get('Digits').__module__.startswith('mmcls_kd')
    assert registry.DATASETS.get('CIFAR100').__module__.startswith(
        'mmpretrain')
    assert registry.RUNNERS.get('KDRunner').__module__.startswith('mmcls_kd')
    # A sibling's name is not visible without its prefix.
    assert registry.MODELS.get('ConfigurableDistiller') is None


def test_build_nested_config_in_scope():
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=8,
                      stem_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64))
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = registry.MODELS.build(cfg)
    assert model.head.fc.out_features == 3


def test_unknown_component_is_named():
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        with pytest.raises(KeyError, match='NoSuchLoss'):
            registry.MODELS.build(dict(type='NoSuchLoss'))
