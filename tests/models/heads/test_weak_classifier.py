import pytest
import torch

from mmcls_kd.models.heads import WeakClassifier


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
