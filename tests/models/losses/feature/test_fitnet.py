"""FitNet's hint loss (arXiv 1412.6550) against a float64 loop of its
definition as the CRD benchmark code averages it, and MMRazor's L2Loss."""
import pytest
import torch
from mmrazor.models.losses import L2Loss

from mmcls_kd.models.losses import FitNetLoss
from .golden import assert_same, leaves, value_and_grads


def reference(student, teacher):
    """mean over every element of (r(S) - T)^2."""
    total, count = 0.0, 0
    for s, t in zip(student.flatten(), teacher.flatten()):
        total = total + (s - t)**2
        count += 1
    return total / count


def test_value_and_gradient_match_the_definition():
    student, teacher = leaves((3, 4, 2, 3), (3, 4, 2, 3), seed=1)
    ours = value_and_grads(FitNetLoss(loss_weight=100.0), student, teacher)
    ref = value_and_grads(lambda s, t: 100.0 * reference(s, t.detach()),
                          student, teacher)
    assert_same(ours, ref)
    # The teacher is a target: no gradient reaches it.
    assert ours[1][1] is None or not ours[1][1].any()


def test_mmrazor_l2_loss_has_the_value_but_overflows_in_half_precision():
    student, teacher = leaves((8, 64, 8, 8), (8, 64, 8, 8), scale=3.0)
    razor = L2Loss(normalize=False, div_element=True)
    expected = FitNetLoss()(student, teacher)
    assert float(razor(student, teacher)) == pytest.approx(float(expected))
    half = [x.detach().half() for x in (student, teacher)]
    assert torch.isinf(razor(*half))
    ours = FitNetLoss()(*half)
    assert ours.dtype == torch.float32
    assert float(ours) == pytest.approx(float(expected), rel=1e-3)


def test_a_teacher_of_another_shape_is_named():
    student, teacher = leaves((4, 8, 4, 4), (1, 8, 4, 4))
    with pytest.raises(ValueError, match=r'FitNetLoss: preds_S \(the '
                       r'regressed student feature\) must have the shape '
                       r'\(1, 8, 4, 4\), got \(4, 8, 4, 4\)'):
        FitNetLoss()(student, teacher)
