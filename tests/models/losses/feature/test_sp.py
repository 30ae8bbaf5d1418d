"""Similarity-preserving KD (arXiv 1907.09682) against a float64 loop of
its definition."""
import pytest
import torch

from mmcls_kd.models.losses import SPLoss
from .golden import assert_same, leaves, value_and_grads


def reference(student, teacher):
    """1 / N^2 ||G_T - G_S||_F^2, G the row-normalised A A^T of the
    flattened activations A."""
    n = student.shape[0]

    def gram(feature):
        rows = [feature[i].flatten() for i in range(n)]
        g = [[sum(a * b for a, b in zip(rows[i], rows[j])) for j in range(n)]
             for i in range(n)]
        return [[v / sum(x * x for x in row)**0.5 for v in row] for row in g]

    gs, gt = gram(student), gram(teacher)
    return sum((gt[i][j] - gs[i][j])**2 for i in range(n)
               for j in range(n)) / n**2


def test_value_and_gradient_match_the_definition():
    student, teacher = leaves((4, 3, 2, 2), (4, 5, 2, 1), seed=5)
    ours = value_and_grads(SPLoss(loss_weight=3000.0), student, teacher)
    ref = value_and_grads(lambda s, t: 3000.0 * reference(s, t.detach()),
                          student, teacher)
    assert_same(ours, ref)


def test_an_all_zero_sample_keeps_a_finite_gradient():
    student, teacher = leaves((4, 6), (4, 6), seed=6)
    with torch.no_grad():
        student[1] = 0
    SPLoss()(student, teacher).backward()
    assert torch.isfinite(student.grad).all()
    assert student.grad.abs().max() < 10


def test_another_batch_is_named():
    student, teacher = leaves((4, 6, 2, 2), (3, 6, 2, 2))
    with pytest.raises(ValueError, match=r'SPLoss: preds_S must have the '
                       r'shape \(3, \*, \*, \*\), got \(4, 6, 2, 2\)'):
        SPLoss()(student, teacher)
