import pytest
import torch

from mmcls_kd.models.connectors import WeakClassifier


def test_gap_is_the_mean_over_space():
    torch.manual_seed(0)
    head = WeakClassifier(4, 3)
    x = torch.randn(2, 4, 5, 5)
    expected = x.mean(dim=(2, 3)) @ head.fc.weight.t() + head.fc.bias
    assert torch.allclose(head(x), expected, atol=1e-6)


def test_cls_token_and_mean_tokens():
    torch.manual_seed(0)
    tokens = torch.randn(2, 7, 6)
    cls = WeakClassifier(6, 3, pool='cls_token')
    assert torch.allclose(cls(tokens), cls.fc(tokens[:, 0]))
    mean = WeakClassifier(6, 3, pool='mean_tokens')
    # A Swin stage records (tokens, hw_shape).
    assert torch.allclose(mean((tokens, (1, 7))), mean.fc(tokens.mean(1)))


def test_wrong_feature_is_named():
    with pytest.raises(ValueError, match=r'C=8, got shape \(2, 4, 5, 5\)'):
        WeakClassifier(8, 3)(torch.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r'\(N, L, C\)'):
        WeakClassifier(4, 3, pool='cls_token')(torch.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match='pool'):
        WeakClassifier(4, 3, pool='max')


def test_swin_token_norm_is_the_official_stage_norm():
    """USKD's official Swin-T weak classifier pools the third stage after
    the backbone's LayerNorm of that stage (out_indices includes 2): the
    weak logits of WeakClassifier(token_norm=True) on the recorded
    ``stages.2`` tokens equal that path once the norm's weights agree."""
    from mmpretrain.models import SwinTransformer
    torch.manual_seed(0)
    swin = SwinTransformer(arch='tiny', img_size=224, out_indices=(2, 3))
    swin.eval()  # MMPretrain's Swin.train() returns None
    weak = WeakClassifier(384, 10, pool='mean_tokens', token_norm=True)
    with torch.no_grad():
        for param in list(swin.norm2.parameters()):
            param.uniform_(-1, 1)
        weak.norm.load_state_dict(swin.norm2.state_dict())
    recorded = {}
    swin.stages[2].register_forward_hook(
        lambda module, args, output: recorded.update(tokens=output))
    with torch.no_grad():
        stage2_map = swin(torch.randn(1, 3, 224, 224))[0]  # normed, (N,C,H,W)
        official = weak.fc(stage2_map.mean(dim=(2, 3)))
        ours = weak.forward_train(recorded['tokens'])
        unnormed = WeakClassifier(384, 10, pool='mean_tokens')
        unnormed.fc.load_state_dict(weak.fc.state_dict())
        without_norm = unnormed.forward_train(recorded['tokens'])
    torch.testing.assert_close(ours, official, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(without_norm, official, rtol=1e-2, atol=1e-2)


def test_token_norm_needs_tokens():
    with pytest.raises(ValueError, match='token_norm'):
        WeakClassifier(8, 3, pool='gap', token_norm=True)
