"""NST (arXiv 1707.01219): the squared MMD of Eq. 7 (polynomial kernel,
d = 2, c = 0) written as float64 double sums over the channels."""
import itertools

import pytest
import torch

from mmcls_kd.models.losses import NSTLoss


def reference(student, teacher, loss_weight):
    """Per sample: mean k(t_i, t_i') + mean k(s_j, s_j') - 2 mean k(s_j,
    t_i), k(x, y) = (x . y)^2, each channel's map flattened and
    L2-normalised; the mean over the batch."""
    total = 0
    for b in range(student.shape[0]):
        s = [c.flatten() / c.flatten().norm() for c in student[b]]
        t = [c.flatten() / c.flatten().norm() for c in teacher[b]]

        def mean_kernel(xs, ys):
            return sum((x @ y)**2 for x, y in itertools.product(xs, ys)) / (
                len(xs) * len(ys))

        total = total + mean_kernel(t, t) + mean_kernel(s, s) - 2 * \
            mean_kernel(s, t)
    return loss_weight * total / student.shape[0]


@pytest.mark.parametrize('teacher_shape', [(3, 6, 3, 3), (3, 6, 6, 6)])
def test_nst_matches_eq7_with_gradients(teacher_shape):
    g = torch.Generator().manual_seed(4)
    student = torch.randn(3, 4, 3, 3, generator=g,
                          dtype=torch.float64).requires_grad_()
    teacher = torch.randn(teacher_shape, generator=g, dtype=torch.float64)
    value = NSTLoss(loss_weight=50.0)(student, teacher)
    grad, = torch.autograd.grad(value, student)
    leaf = student.detach().clone().requires_grad_()
    # A larger teacher map: 2x2 block means down to the student's size.
    pooled = teacher if teacher.shape[2] == 3 else teacher.reshape(
        3, 6, 3, 2, 3, 2).mean((3, 5))
    expected = reference(leaf, pooled, 50.0)
    expected_grad, = torch.autograd.grad(expected, leaf)
    assert value.item() == pytest.approx(expected.item(), rel=1e-10)
    assert torch.allclose(grad, expected_grad, rtol=1e-9, atol=1e-12)
    # Its own feature: MMD 0.
    assert NSTLoss()(student.detach(), student.detach()).item() == \
        pytest.approx(0, abs=1e-12)


def test_nst_refuses_features_that_do_not_pool_to_one_size():
    with pytest.raises(ValueError, match=r'NSTLoss: expected .* got student '
                       r'\(2, 4, 3, 3\) and teacher \(2, 6, 2, 2\)'):
        NSTLoss(pool=False)(torch.randn(2, 4, 3, 3), torch.randn(2, 6, 2, 2))
    with pytest.raises(ValueError, match=r'\(2, 4, 3, 3\).*\(3, 6, 3, 3\)'):
        NSTLoss()(torch.randn(2, 4, 3, 3), torch.randn(3, 6, 3, 3))
