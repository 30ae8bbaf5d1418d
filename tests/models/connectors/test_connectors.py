"""The OFD and CRD connectors: MMRazor's layers with checked inputs."""
import math

import pytest
import torch

from mmcls_kd.models.connectors import CRDEmbedding, OFDConnector
from mmcls_kd.models.connectors.connectors import check_flat, check_map


def test_ofd_connector_is_conv1x1_bn_with_he_init():
    torch.manual_seed(0)
    connector = OFDConnector(64, 256)
    conv = connector.conv_module.conv
    assert conv.kernel_size == (1, 1) and conv.bias is None
    # He normal, fan-out: std sqrt(2 / (1 * 1 * 256)).
    assert float(conv.weight.std()) == pytest.approx(math.sqrt(2 / 256),
                                                     rel=0.05)
    connector.eval()
    x = torch.randn(2, 64, 3, 3)
    bn = connector.conv_module.norm
    expected = torch.einsum('oi,nihw->nohw', conv.weight[:, :, 0, 0], x)
    expected = (expected - bn.running_mean[None, :, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None] + bn.eps)
    assert torch.allclose(connector(x), expected, atol=1e-5)


def test_ofd_connector_names_a_wrong_feature():
    with pytest.raises(ValueError, match=r'\(N, 64, H, W\).*\(2, 32, 3, 3\)'):
        OFDConnector(64, 128)(torch.randn(2, 32, 3, 3))


def test_crd_embedding_is_linear_then_l2_normalised():
    torch.manual_seed(0)
    embed = CRDEmbedding(6, embed_dim=4)
    x = torch.randn(3, 6, 1, 1, dtype=torch.float64)
    embed.double()
    out = embed(x)
    linear = x.flatten(1) @ embed.linear.weight.t() + embed.linear.bias
    rows = [[v / math.sqrt(sum(u * u for u in row)) for v in row]
            for row in linear.tolist()]
    assert torch.allclose(out, torch.tensor(rows, dtype=torch.float64))
    assert torch.allclose(embed(x.flatten(1)), out)


def test_crd_embedding_names_a_wrong_feature():
    with pytest.raises(ValueError, match=r'128 values.*\(2, 64\)'):
        CRDEmbedding(128)(torch.randn(2, 64))


def test_checks_name_the_owner_the_shapes_and_what_to_check():
    check_map('Owner', torch.zeros(2, 4, 3, 5), 4, (3, 5), 'hint')
    check_flat('Owner', torch.zeros(2, 4, 3), 12)
    with pytest.raises(ValueError) as error:
        check_map('Owner', torch.zeros(2, 4, 3, 3), 4, (3, 5), 'hint')
    assert str(error.value) == \
        'Owner expects an (N, 4, 3, 5) feature, got (2, 4, 3, 3); hint'
    with pytest.raises(ValueError) as error:
        check_map('Owner', torch.zeros(2, 4), 4, None, 'hint')
    assert str(error.value) == \
        'Owner expects an (N, 4, H, W) feature, got (2, 4); hint'
    with pytest.raises(ValueError) as error:
        check_flat('Owner', torch.zeros(2, 4, 3), 4)
    assert str(error.value) == (
        'Owner expects a feature of 4 values per sample, got (2, 4, 3); '
        'check the recorder source (the pooled feature) and in_channels')
