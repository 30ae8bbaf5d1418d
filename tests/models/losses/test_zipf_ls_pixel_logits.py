"""PixelLogits: the classifier applied at every position, with the weights
it is given."""
import pytest
import torch
import torch.nn.functional as F

from mmcls_kd.models.losses.zipf_ls import PixelLogits


def _loops(feature, weight, bias):
    n, c, h, w = feature.shape
    out = torch.zeros(n, weight.shape[0], h, w, dtype=torch.float64)
    for i in range(n):
        for k in range(weight.shape[0]):
            for y in range(h):
                for x in range(w):
                    out[i, k, y, x] = sum(
                        weight[k, j].item() * feature[i, j, y, x].item()
                        for j in range(c)) + bias[k].item()
    return out


def test_matches_the_linear_layer_at_every_position():
    generator = torch.Generator().manual_seed(0)
    feature = torch.randn(2, 3, 2, 3, generator=generator,
                          dtype=torch.float64)
    fc = torch.nn.Linear(3, 5).double()
    logits = PixelLogits()(feature, fc.weight, fc.bias)
    assert logits.shape == (2, 5, 2, 3)
    torch.testing.assert_close(logits,
                               _loops(feature, fc.weight, fc.bias))
    # Averaged over the positions, they are the pooled logits (GAP and the
    # classifier are both linear).
    torch.testing.assert_close(logits.mean((2, 3)), fc(feature.mean((2, 3))))
    without_bias = PixelLogits()(feature, fc.weight)
    torch.testing.assert_close(without_bias,
                               _loops(feature, fc.weight, torch.zeros(5)))


def test_upsamples_first():
    generator = torch.Generator().manual_seed(1)
    feature = torch.randn(2, 3, 2, 2, generator=generator,
                          dtype=torch.float64)
    weight = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    bias = torch.randn(4, generator=generator, dtype=torch.float64)
    logits = PixelLogits(scale_factor=2.0)(feature, weight, bias)
    upsampled = F.interpolate(feature, scale_factor=2.0, mode='bilinear',
                              align_corners=False)
    assert logits.shape == (2, 4, 4, 4)
    torch.testing.assert_close(logits, _loops(upsampled, weight, bias))


def test_holds_no_weights():
    assert not list(PixelLogits(scale_factor=2.0).state_dict())


def test_rejects_bad_inputs():
    pixel = PixelLogits()
    feature = torch.randn(2, 8, 3, 3)
    with pytest.raises(ValueError, match=r'\(N, C_feat, H, W\).*\(2, 8\)'):
        pixel(feature.mean((2, 3)), torch.randn(10, 8))
    with pytest.raises(ValueError, match=r'\(C, 8\).*\(2, 8, 3, 3\).*'
                       r'\(10, 6\)'):
        pixel(feature, torch.randn(10, 6))
    with pytest.raises(ValueError, match=r'bias.*\(10,\).*\(9,\)'):
        pixel(feature, torch.randn(10, 8), torch.randn(9))
    with pytest.raises(ValueError, match='scale_factor'):
        PixelLogits(scale_factor=0)
