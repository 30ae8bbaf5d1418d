import pytest

from .utils import (assert_published, build, build_classifier,
                    run_classifier, trainable_params)

SHAPES = [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 4, 4)]


@pytest.mark.parametrize(
    'depth,exact,published',
    [
        # Exact counts from CRD's models/vgg.py (vgg8_bn, vgg13_bn) with 100
        # classes. The papers print 3.96M for 3,965,028: they truncate.
        (8, 3_965_028, 3.96),
        (13, 9_462_180, 9.46),
    ])
def test_classifier_params_and_stages(depth, exact, published):
    all_stages = dict(type='CIFARVGG', depth=depth, out_indices=range(5))
    model = build_classifier(all_stages, 512)
    assert run_classifier(model) == (SHAPES, (1, 100))
    count = trainable_params(model)
    assert count == exact
    assert_published(count, published)


def test_convs_per_stage_and_bias():
    backbone = build(dict(type='CIFARVGG', depth=13))
    for i in range(1, 6):
        stage = getattr(backbone, f'layer{i}')
        assert len(stage) == 2
        # CRD keeps the conv bias in front of the BatchNorm.
        assert stage[0].conv.bias is not None


def test_pool_opens_stages_2_to_4_only():
    backbone = build(dict(type='CIFARVGG', depth=8))
    assert [getattr(backbone, f'layer{i}').pool_first
            for i in range(1, 6)] == [False, True, True, True, False]


def test_unknown_depth():
    with pytest.raises(ValueError, match='depth must be one of .* got 12'):
        build(dict(type='CIFARVGG', depth=12))
