"""ReviewKD's ABF connector (arXiv 2104.09044): the review order, the
attention fusion and the resizing, recomputed by hand."""
import pytest
import torch
import torch.nn.functional as F

from mmcls_kd.models.connectors import ABFConnector


def _features(seed, batch=2):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch, 4, 8, 8, generator=g),
        torch.randn(batch, 6, 4, 4, generator=g),
        torch.randn(batch, 8, generator=g),  # pooled
    ]


def _bn(x, bn):
    return (x - bn.running_mean[None, :, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None] + bn.eps) * bn.weight[
            None, :, None, None] + bn.bias[None, :, None, None]


def test_shapes_and_mid_width():
    connector = ABFConnector([4, 6, 8], [5, 7, 9])
    assert connector.mid_channels == 8  # min(512, in_channels[-1])
    outs = connector(_features(0))
    assert [tuple(o.shape) for o in outs] == [(2, 5, 8, 8), (2, 7, 4, 4),
                                              (2, 9, 1, 1)]
    assert connector.fusions[2].attention is None
    assert connector.fusions[0].attention is not None


def test_review_order_and_fusion_by_hand():
    torch.manual_seed(1)
    connector = ABFConnector([4, 6, 8], [5, 7, 9], mid_channels=3).eval()
    for bn in connector.modules():
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 2)
            bn.bias.data.uniform_(-1, 1)
    feats = _features(2)
    outs = connector(feats)

    def unit(i, x, residual):
        fusion = connector.fusions[i]
        y = _bn(F.conv2d(x, fusion.reduce[0].weight), fusion.reduce[1])
        if residual is not None:
            residual = F.interpolate(residual, size=y.shape[-2:])
            conv = fusion.attention[0]
            att = torch.sigmoid(
                F.conv2d(torch.cat([y, residual], 1), conv.weight, conv.bias))
            y = y * att[:, 0:1] + residual * att[:, 1:2]
        out = _bn(F.conv2d(y, fusion.output[0].weight, padding=1),
                  fusion.output[1])
        return out, y

    out2, res = unit(2, feats[2][:, :, None, None], None)
    out1, res = unit(1, feats[1], res)
    out0, _ = unit(0, feats[0], res)
    for got, expected in zip(outs, (out0, out1, out2)):
        assert torch.allclose(got, expected, atol=1e-5)


def test_out_sizes_resize_before_the_output_conv():
    connector = ABFConnector([4, 6, 8], [5, 7, 9],
                             out_sizes=[16, (8, 8), 1])
    outs = connector(_features(3))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (8, 8), (1, 1)]


def test_gradients_reach_every_stage():
    feats = [f.requires_grad_(True) for f in _features(4)]
    sum(o.sum() for o in ABFConnector([4, 6, 8], [5, 7, 9])(feats)).backward()
    assert all(f.grad.abs().sum() > 0 for f in feats)


def test_wrong_features_are_named():
    connector = ABFConnector([4, 6, 8], [5, 7, 9])
    feats = _features(5)
    feats[1] = feats[1][:, :5]
    with pytest.raises(ValueError, match=r'channels \[4, 6, 8\], got shapes '
                       r'\[\(2, 4, 8, 8\), \(2, 5, 4, 4\), \(2, 8\)\]'):
        connector(feats)
    with pytest.raises(ValueError, match='3 student features'):
        connector(feats[:2])
    with pytest.raises(ValueError, match='one entry per feature'):
        ABFConnector([4, 6], [5])
