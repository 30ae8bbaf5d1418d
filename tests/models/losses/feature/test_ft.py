"""FT (arXiv 1802.04977): the loss in both factor forms against float64
formulas, MMRazor's FTLoss (the paper's form) and the reconstruction loss
of the paraphraser (MMRazor's L2Loss as the wiring configures it)."""
import pytest
import torch
from mmrazor.models.losses import FTLoss as MMRazorFTLoss
from mmrazor.models.losses import L2Loss

from mmcls_kd.models.losses import FTLoss


def _unit_rows(x):
    rows = x.reshape(x.shape[0], -1)
    return rows / rows.pow(2).sum(1, keepdim=True).sqrt()


def reference(student, teacher, pool_channels, loss_weight):
    """Eq. 4 with p = 1 over the normalised factors, averaged over the
    elements; pooled: the factor is mean_c F_c^2 (the CRD benchmark
    code)."""
    if pool_channels:
        student = (student**2).sum(1) / student.shape[1]
        teacher = (teacher**2).sum(1) / teacher.shape[1]
    diff = _unit_rows(student) - _unit_rows(teacher)
    return loss_weight * diff.abs().sum() / diff.numel()


@pytest.mark.parametrize('pool_channels', [False, True])
def test_ft_matches_eq4_with_gradients(pool_channels):
    g = torch.Generator().manual_seed(1)
    student = torch.randn(3, 4, 3, 2, generator=g,
                          dtype=torch.float64).requires_grad_()
    teacher = torch.randn(3, 4, 3, 2, generator=g, dtype=torch.float64)
    value = FTLoss(pool_channels=pool_channels, loss_weight=200.0)(student,
                                                                   teacher)
    grad, = torch.autograd.grad(value, student)
    leaf = student.detach().clone().requires_grad_()
    expected = reference(leaf, teacher, pool_channels, 200.0)
    expected_grad, = torch.autograd.grad(expected, leaf)
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    assert torch.allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)
    if not pool_channels:
        razor = MMRazorFTLoss(loss_weight=200.0)(student.detach(), teacher)
        assert value.item() == pytest.approx(razor.item(), rel=1e-12)


def test_ft_pooled_factors_may_differ_in_channels_only():
    loss = FTLoss(pool_channels=True)
    value = loss(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4))
    assert torch.isfinite(value)
    with pytest.raises(ValueError, match=r'student factor \(2, 3, 4, 4\) '
                       r'must have the shape of the teacher factor '
                       r'\(2, 5, 4, 4\)'):
        FTLoss()(torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4))
    with pytest.raises(ValueError, match=r'\(2, 3, 2, 2\).*\(2, 5, 4, 4\)'):
        loss(torch.randn(2, 3, 2, 2), torch.randn(2, 5, 4, 4))


def test_reconstruction_loss_is_the_mean_squared_error():
    # loss_ft_rec of the wiring: MMRazor's L2Loss, not normalised, divided
    # by the element count (the reference code's nn.MSELoss).
    g = torch.Generator().manual_seed(2)
    rec = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    target = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    value = L2Loss(normalize=False, div_element=True)(rec, target)
    expected = sum((a - b)**2 for a, b in zip(rec.flatten().tolist(),
                                              target.flatten().tolist()))
    assert value.item() == pytest.approx(expected / rec.numel(), rel=1e-12)
