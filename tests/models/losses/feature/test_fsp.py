"""FSP (Yim et al., CVPR 2017): the loss against Eqs. 1-2 written with
float64 loops over the matrix entries."""
import itertools

import pytest
import torch

from mmcls_kd.models.losses import FSPLoss


def _pooled(x, size):
    """Block means of an (N, C, H, W) map down to (size, size)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, size, h // size, size, w // size).mean((3, 5))


def fsp_matrix(bottom, top):
    """G[n, j, i] = sum_{s,t} bottom[n, i, s, t] top[n, j, s, t] / (h w),
    the larger map pooled to the smaller's size."""
    size = min(bottom.shape[2], top.shape[2])
    bottom, top = _pooled(bottom, size), _pooled(top, size)
    n, m, h, w = bottom.shape
    g = torch.zeros(n, top.shape[1], m, dtype=torch.float64)
    for b, j, i in itertools.product(range(n), range(top.shape[1]),
                                     range(m)):
        g[b, j, i] = (bottom[b, i] * top[b, j]).sum() / (h * w)
    return g


def reference(students, teachers, loss_weight):
    total = 0
    for k in range(len(students) - 1):
        gs = fsp_matrix(students[k], students[k + 1])
        gt = fsp_matrix(teachers[k], teachers[k + 1])
        total = total + ((gs - gt)**2).sum() / gs.numel()
    return loss_weight * total


def _features(g, shapes, requires_grad=False):
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_(
        requires_grad) for s in shapes]


def test_fsp_matches_eqs_1_2_with_gradients():
    g = torch.Generator().manual_seed(3)
    # Equal sizes, a map twice as large as the next and one twice smaller.
    shapes = [(2, 3, 4, 4), (2, 4, 4, 4), (2, 5, 2, 2), (2, 2, 4, 4)]
    students = _features(g, shapes, requires_grad=True)
    teachers = _features(g, shapes)
    value = FSPLoss(loss_weight=0.5)(students, teachers)
    grads = torch.autograd.grad(value, students)
    leaves = [s.detach().clone().requires_grad_() for s in students]
    expected = reference(leaves, teachers, 0.5)
    expected_grads = torch.autograd.grad(expected, leaves)
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)
    for grad, ref in zip(grads, expected_grads):
        assert torch.allclose(grad, ref, rtol=1e-10, atol=1e-14)


def test_fsp_names_the_feature_whose_channels_differ():
    students = [torch.randn(2, 3, 4, 4), torch.randn(2, 4, 2, 2)]
    teachers = [torch.randn(2, 3, 4, 4), torch.randn(2, 8, 2, 2)]
    with pytest.raises(ValueError, match=r'FSPLoss: student feature 1 '
                       r'\(2, 4, 2, 2\) must have the \(N, C\) of teacher '
                       r'feature 1 \(2, 8, 2, 2\)'):
        FSPLoss()(students, teachers)
    with pytest.raises(ValueError, match='at least 2 features'):
        FSPLoss()(students[:1], teachers[:1])
