import pytest
import torch

from .utils import (assert_published, build, build_classifier, run_classifier,
                    trainable_params)

# Exact counts were taken from CRD's own model definitions
# (HobbitLong/RepDistiller, models/resnet.py and resnetv2.py) built with
# 100 classes; the published figures are those of the CRD / DKD tables.
CASES = [
    # backbone, feature channels, exact count, published (M), stage shapes
    (dict(type='ResNet8x4'), 256, 1_233_540, 1.23,
     [(64, 32, 32), (128, 16, 16), (256, 8, 8)]),
    (dict(type='ResNet32x4'), 256, 7_433_860, 7.43,
     [(64, 32, 32), (128, 16, 16), (256, 8, 8)]),
    (dict(type='CIFARResNet', depth=56), 64, 861_620, 0.86,
     [(16, 32, 32), (32, 16, 16), (64, 8, 8)]),
    (dict(type='CIFARResNet', depth=110), 64, 1_736_564, 1.74,
     [(16, 32, 32), (32, 16, 16), (64, 8, 8)]),
    # CRD's ResNet50 is MMPretrain's ResNet_CIFAR.
    (dict(type='ResNet_CIFAR', depth=50), 2048, 23_705_252, 23.71,
     [(256, 32, 32), (512, 16, 16), (1024, 8, 8), (2048, 4, 4)]),
]
IDS = ['resnet8x4', 'resnet32x4', 'resnet56', 'resnet110', 'resnet50']


@pytest.mark.parametrize('backbone,channels,exact,published,shapes', CASES,
                         ids=IDS)
def test_stages_and_classifier_params(backbone, channels, exact, published,
                                      shapes):
    all_stages = dict(backbone, out_indices=tuple(range(len(shapes))))
    # The head classifies the last stage; the others only add outputs.
    model = build_classifier(all_stages, channels)
    assert run_classifier(model) == (shapes, (1, 100))
    count = trainable_params(model)
    assert count == exact
    assert_published(count, published)


def test_default_output_is_last_stage():
    outs = build(dict(type='ResNet8x4'))(torch.randn(1, 3, 32, 32))
    assert [tuple(out.shape) for out in outs] == [(1, 256, 8, 8)]


def test_no_zero_init_of_residual_branch_by_default():
    # CRD trains these from the plain He init; MMPretrain's default would
    # zero the last BN of every block.
    backbone = build(dict(type='ResNet8x4'))
    backbone.init_weights()
    for stage in (backbone.layer1, backbone.layer2, backbone.layer3):
        assert torch.all(stage[-1].bn2.weight == 1)


def test_unknown_depth():
    with pytest.raises(KeyError, match='invalid depth 9'):
        build(dict(type='CIFARResNet', depth=9))
