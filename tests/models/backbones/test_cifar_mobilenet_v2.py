from .utils import (assert_published, build, build_classifier,
                    run_classifier, trainable_params)


def test_stages_and_mobile_half_params():
    model = build_classifier(
        dict(type='CIFARMobileNetV2', out_indices=range(8)), 1280)
    # The stem halves 32 to 16; CRD keeps stride 1 in the second stage.
    assert run_classifier(model) == ([(8, 16, 16), (12, 16, 16), (16, 8, 8),
                                      (32, 4, 4), (48, 4, 4), (80, 2, 2),
                                      (160, 2, 2), (1280, 2, 2)], (1, 100))
    count = trainable_params(model)
    # Exact count from CRD's models/mobilenetv2.py, mobile_half(100).
    assert count == 812_836
    assert_published(count, 0.81)


def test_first_block_keeps_its_expansion_conv():
    block = build(dict(type='CIFARMobileNetV2')).layer1[0]
    assert len(block.conv) == 3
    assert block.conv[0].conv.weight.shape == (16, 16, 1, 1)
    assert not block.conv[2].with_activation


def test_residual_only_where_shapes_match():
    backbone = build(dict(type='CIFARMobileNetV2'))
    assert [block.use_residual for block in backbone.layer3] == \
        [False, True, True]
