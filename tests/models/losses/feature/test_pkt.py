"""PKT (arXiv 1803.10837) against a float64 loop of its definition as the
authors' code computes it."""
import math

import pytest
import torch

from mmcls_kd.models.losses import PKTLoss
from .golden import assert_same, leaves, value_and_grads

EPS = 1e-7


def reference(student, teacher):
    """mean_{i, j} p_T(j|i) log((p_T(j|i) + eps) / (p_S(j|i) + eps)),
    p(j|i) = K_ij / sum_j K_ij, K_ij = (cos(f_i, f_j) + 1) / 2 with each
    f divided by its norm plus eps."""
    n = student.shape[0]

    def conditionals(feature):
        rows = [feature[i].flatten() for i in range(n)]
        units = [r / (sum(v * v for v in r)**0.5 + EPS) for r in rows]
        kernel = [[(sum(a * b for a, b in zip(units[i], units[j])) + 1) / 2
                   for j in range(n)] for i in range(n)]
        return [[k / sum(row) for k in row] for row in kernel]

    ps, pt = conditionals(student), conditionals(teacher)
    return sum(pt[i][j] * torch.log((pt[i][j] + EPS) / (ps[i][j] + EPS))
               for i in range(n) for j in range(n)) / n**2


def test_value_and_gradient_match_the_definition():
    student, teacher = leaves((5, 3, 2), (5, 7), seed=12)
    ours = value_and_grads(PKTLoss(loss_weight=30000.0), student, teacher)
    ref = value_and_grads(lambda s, t: 30000.0 * reference(s, t.detach()),
                          student, teacher)
    assert_same(ours, ref)


def test_equal_relations_give_only_the_eps_residue():
    student, = leaves((6, 4), seed=13)
    value = float(PKTLoss()(student, 2 * student.detach()))
    assert math.isclose(value, 0.0, abs_tol=1e-12)


def test_an_all_zero_feature_keeps_a_finite_gradient():
    student, teacher = leaves((4, 6), (4, 6), seed=14)
    with torch.no_grad():
        student[2] = 0
    PKTLoss()(student, teacher).backward()
    assert torch.isfinite(student.grad).all()


def test_another_batch_is_named():
    student, teacher = leaves((4, 6), (3, 6))
    with pytest.raises(ValueError, match=r'PKTLoss: preds_S must have the '
                       r'shape \(3, \*\), got \(4, 6\)'):
        PKTLoss()(student, teacher)
