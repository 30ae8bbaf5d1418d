import pytest
import torch

from .utils import (assert_published, build, build_classifier,
                    run_classifier, trainable_params)


@pytest.mark.parametrize(
    'depth,width,exact,published',
    [
        # Exact counts from CRD's models/wrn.py with 100 classes.
        (40, 2, 2_255_156, 2.25),
        (16, 2, 703_284, 0.70),
        (40, 1, 569_780, 0.57),
    ])
def test_stages_and_classifier_params(depth, width, exact, published):
    backbone = dict(type='CIFARWideResNet', depth=depth, widen_factor=width,
                    out_indices=range(4))
    model = build_classifier(backbone, 64 * width)
    k = width
    assert run_classifier(model) == ([(16 * k, 32, 32), (32 * k, 16, 16),
                                      (64 * k, 8, 8), (64 * k, 8, 8)],
                                     (1, 100))
    count = trainable_params(model)
    assert count == exact
    assert_published(count, published)


def test_final_stage_is_activated():
    backbone = build(
        dict(type='CIFARWideResNet', depth=16, out_indices=(2, 3))).eval()
    with torch.no_grad():
        raw, final = backbone(torch.randn(2, 3, 32, 32))
    assert raw.min() < 0
    assert final.min() >= 0
    bn = backbone.final_norm.bn
    expected = torch.relu((raw - bn.running_mean[:, None, None]) /
                          torch.sqrt(bn.running_var[:, None, None] + bn.eps) *
                          bn.weight[:, None, None] + bn.bias[:, None, None])
    torch.testing.assert_close(final, expected)


def test_bad_depth():
    with pytest.raises(ValueError, match='6n \\+ 4 .* got 20'):
        build(dict(type='CIFARWideResNet', depth=20))
