import torch

from .utils import (assert_published, build, build_classifier,
                    run_classifier, trainable_params)


def test_v1_stages_and_params():
    model = build_classifier(
        dict(type='CIFARShuffleNetV1', out_indices=range(3)), 960)
    assert run_classifier(model) == ([(240, 16, 16), (480, 8, 8),
                                      (960, 4, 4)], (1, 100))
    count = trainable_params(model)
    # Exact count from CRD's models/ShuffleNetv1.py, ShuffleV1(100).
    assert count == 949_258
    assert_published(count, 0.95)


def test_v1_first_unit_compresses_without_groups():
    backbone = build(dict(type='CIFARShuffleNetV1'))
    first, second = backbone.layers[0][0], backbone.layers[0][1]
    # 24 stem channels -> 54 = (240 - 24) / 4 bottleneck channels, one group.
    assert first.g_conv_1x1_compress.conv.weight.shape == (54, 24, 1, 1)
    assert second.g_conv_1x1_compress.conv.groups == 3


def test_v2_stages_and_params():
    model = build_classifier(
        dict(type='CIFARShuffleNetV2', out_indices=range(4)), 1024)
    assert run_classifier(model) == ([(116, 16, 16), (232, 8, 8), (464, 4, 4),
                                      (1024, 4, 4)], (1, 100))
    count = trainable_params(model)
    # Exact count from CRD's models/ShuffleNetv2.py, ShuffleV2(100).
    assert count == 1_355_528
    assert_published(count, 1.36)


def test_v2_stem_is_1x1_without_max_pool():
    backbone = build(dict(type='CIFARShuffleNetV2'))
    assert backbone.conv1.conv.kernel_size == (1, 1)
    assert backbone.conv1.conv.stride == (1, 1)
    assert isinstance(backbone.maxpool, torch.nn.Identity)
