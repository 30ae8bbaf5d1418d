"""AB (arXiv 1811.03233): the loss against its Eq. 5 written in float64,
and against MMRazor's ABLoss, which it extends."""
import pytest
import torch
from mmrazor.models.losses import ABLoss as MMRazorABLoss

from mmcls_kd.models.losses import ABLoss


def reference(student, teacher, margin, loss_weight):
    """sum(rho(T) relu(m - S)^2 + (1 - rho(T)) relu(m + S)^2) * 3 /
    (1000 N), rho(T) = [T > 0]: the student beyond the teacher neuron's side
    of the boundary by the margin costs nothing."""
    active = (teacher > 0).double()
    cost = active * torch.relu(margin - student)**2 + (
        1 - active) * torch.relu(margin + student)**2
    return loss_weight * cost.sum() * 3 / (1000 * student.shape[0])


@pytest.mark.parametrize('margin,loss_weight', [(1.0, 1.0), (0.5, 0.25)])
def test_ab_matches_eq5_with_gradients(margin, loss_weight):
    g = torch.Generator().manual_seed(0)
    student = (2 * torch.randn(3, 4, 5, 5, generator=g,
                               dtype=torch.float64)).requires_grad_()
    teacher = torch.randn(3, 4, 5, 5, generator=g, dtype=torch.float64)
    value = ABLoss(loss_weight=loss_weight, margin=margin)(student, teacher)
    grad, = torch.autograd.grad(value, student)
    leaf = student.detach().clone().requires_grad_()
    expected = reference(leaf, teacher, margin, loss_weight)
    expected_grad, = torch.autograd.grad(expected, leaf)
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    assert torch.allclose(grad, expected_grad, rtol=1e-12, atol=0)
    # A student 1.5 beyond the margin on the right side costs nothing.
    assert reference(torch.where(teacher > 0, 2.5, -2.5), teacher, 1.0,
                     1.0).item() == 0
    # The value of MMRazor's loss, which the reference code's equals.
    razor = MMRazorABLoss(loss_weight=loss_weight, margin=margin)(
        student.detach(), teacher)
    assert value.item() == pytest.approx(razor.item(), rel=1e-12)


def test_ab_refuses_features_of_other_shapes():
    with pytest.raises(ValueError, match=r'ABLoss: the student feature '
                       r'\(2, 4, 3, 3\) must have the shape of the teacher '
                       r'feature \(2, 8, 3, 3\)'):
        ABLoss()(torch.randn(2, 4, 3, 3), torch.randn(2, 8, 3, 3))
    with pytest.raises(ValueError, match='margin must be >= 0, got -1'):
        ABLoss(margin=-1)
