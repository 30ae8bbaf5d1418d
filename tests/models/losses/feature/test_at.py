"""Attention transfer (arXiv 1612.03928) against a float64 loop of its
definition (the official code's squared, averaged form) and MMRazor's
ATLoss."""
import pytest
import torch
from mmrazor.models.losses import ATLoss as MMRazorATLoss

from mmcls_kd.models.losses import ATLoss
from .golden import assert_same, leaves, value_and_grads


def reference(student, teacher, p=2.0):
    """mean_{n, j} (Q_S / ||Q_S|| - Q_T / ||Q_T||)^2, Q = mean_c |A|^p."""
    n, _, h, w = student.shape

    def normalised_attention(feature, sample):
        channels = feature.shape[1]
        q = [sum(abs(feature[sample, c, y, x])**p for c in range(channels)) /
             channels for y in range(h) for x in range(w)]
        norm = sum(v * v for v in q)**0.5
        return [v / norm for v in q]

    total = 0.0
    for sample in range(n):
        qs = normalised_attention(student, sample)
        qt = normalised_attention(teacher, sample)
        total = total + sum((a - b)**2 for a, b in zip(qs, qt))
    return total / (n * h * w)


@pytest.mark.parametrize('p', [2.0, 3.0])
def test_value_and_gradient_match_the_definition(p):
    student, teacher = leaves((3, 4, 3, 2), (3, 6, 3, 2), seed=2)
    ours = value_and_grads(ATLoss(p=p, loss_weight=1000.0), student, teacher)
    ref = value_and_grads(
        lambda s, t: 1000.0 * reference(s, t.detach(), p), student, teacher)
    assert_same(ours, ref)


def test_mmrazor_at_loss_has_the_value_but_overflows_in_half_precision():
    student, teacher = leaves((4, 8, 4, 4), (4, 16, 4, 4), seed=3)
    expected = float(ATLoss()(student, teacher))
    assert float(MMRazorATLoss()(student, teacher)) == pytest.approx(expected)
    half = [(300 * x.detach()).half() for x in (student, teacher)]
    assert torch.isnan(MMRazorATLoss()(*half))
    ours = ATLoss()(*half)
    assert torch.isfinite(ours) and ours.dtype == torch.float32


def test_an_all_zero_map_has_a_zero_gradient():
    student, teacher = leaves((2, 4, 3, 3), (2, 4, 3, 3), seed=4)
    with torch.no_grad():
        student[0] = 0
    ATLoss()(student, teacher).backward()
    assert torch.isfinite(student.grad).all()
    assert not student.grad[0].any()


def test_maps_of_different_sizes_are_named():
    student, teacher = leaves((4, 8, 8, 8), (4, 16, 4, 4))
    with pytest.raises(ValueError, match=r'ATLoss: preds_S must have the '
                       r'shape \(4, \*, 4, 4\), got \(4, 8, 8, 8\)'):
        ATLoss()(student, teacher)
