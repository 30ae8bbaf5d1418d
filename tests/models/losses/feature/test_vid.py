"""VID (arXiv 1904.05835) against a float64 loop of its negative
log-likelihood, fed by its connector."""
import pytest
import torch

from mmcls_kd.models.connectors import VIDRegressor
from mmcls_kd.models.losses import VIDLoss
from .golden import assert_same, leaves, value_and_grads


def reference(mean, variance, teacher):
    """mean over (n, c, h, w) of 1/2 ((t - mu)^2 / sigma_c^2 +
    log sigma_c^2)."""
    n, c, h, w = teacher.shape
    total = 0.0
    for i in range(n):
        for k in range(c):
            for y in range(h):
                for x in range(w):
                    total = total + 0.5 * (
                        (teacher[i, k, y, x] - mean[i, k, y, x])**2 /
                        variance[k] + torch.log(variance[k]))
    return total / (n * c * h * w)


def test_value_and_gradient_match_the_definition():
    mean, teacher, alpha = leaves((2, 3, 2, 2), (2, 3, 2, 2), (3, ), seed=10)
    variance = torch.nn.functional.softplus(alpha) + 0.1
    loss = VIDLoss(loss_weight=2.0)
    ours = value_and_grads(lambda m, t, a: loss(
        (m, torch.nn.functional.softplus(a) + 0.1), t), mean, teacher, alpha)
    ref = value_and_grads(lambda m, t, a: 2.0 * reference(
        m, torch.nn.functional.softplus(a) + 0.1, t.detach()), mean, teacher,
        alpha)
    assert_same(ours, ref)
    assert variance.shape == (3, )


def test_the_connector_starts_at_a_variance_of_five_and_trains():
    torch.manual_seed(0)
    regressor = VIDRegressor(4, 6).double()
    student, teacher = leaves((2, 4, 3, 3), (2, 6, 3, 3), seed=11)
    mean, variance = regressor(student)
    assert mean.shape == (2, 6, 3, 3)
    torch.testing.assert_close(variance,
                               torch.full((6, ), 5.0, dtype=torch.float64))
    VIDLoss()((mean, variance), teacher).backward()
    assert regressor.alpha.grad.abs().sum() > 0
    assert all(conv.weight.grad.abs().sum() > 0
               for conv in regressor.regressor if hasattr(conv, 'weight'))


def test_bad_inputs_are_named():
    mean, teacher = leaves((2, 6, 4, 4), (2, 6, 2, 2))
    variance = torch.ones(6, dtype=torch.float64)
    with pytest.raises(ValueError, match=r'the regressed mean must have the '
                       r'shape \(2, 6, 2, 2\), got \(2, 6, 4, 4\)'):
        VIDLoss()((mean, variance), teacher)
    with pytest.raises(ValueError, match=r'preds_S must be the \(mean, '
                       r'variance\) of a VIDRegressor'):
        VIDLoss()(mean, teacher)
