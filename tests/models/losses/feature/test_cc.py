"""Correlation congruence (arXiv 1904.01802): the CRD benchmark's form and
the paper's equation, against float64 loops of their definitions."""
import math

import pytest
import torch

from mmcls_kd.models.losses import CCLoss
from .golden import assert_same, leaves, value_and_grads


def reference_repdistiller(student, teacher):
    """With d_i = |s_i - t_i|: the mean over i < N - 1 of sum_k d_i[k]
    d_{i+1}[k]."""
    n, dim = student.shape
    gaps = [[abs(student[i, k] - teacher[i, k]) for k in range(dim)]
            for i in range(n)]
    return sum(
        sum(gaps[i][k] * gaps[i + 1][k] for k in range(dim))
        for i in range(n - 1)) / (n - 1)


def reference_paper(student, teacher, gamma, order):
    """1 / N^2 ||C_T - C_S||_F^2 with C_ij the Taylor series (to ``order``)
    of exp(-gamma ||f_i - f_j||^2) = exp(-2 gamma) exp(2 gamma f_i . f_j)
    for L2-normalised f."""
    n = student.shape[0]

    def correlation(embedding):
        units = [row / sum(v * v for v in row)**0.5 for row in embedding]
        c = []
        for i in range(n):
            for j in range(n):
                cos = sum(a * b for a, b in zip(units[i], units[j]))
                c.append(sum(math.exp(-2 * gamma) * (2 * gamma)**p /
                             math.factorial(p) * cos**p
                             for p in range(order + 1)))
        return c

    return sum((a - b)**2 for a, b in zip(
        correlation(teacher), correlation(student))) / n**2


def test_repdistiller_form_matches_its_definition():
    student, teacher = leaves((5, 4), (5, 4), seed=7)
    ours = value_and_grads(CCLoss(loss_weight=0.02), student, teacher)
    ref = value_and_grads(
        lambda s, t: 0.02 * reference_repdistiller(s, t), student, teacher)
    assert_same(ours, ref)
    # The teacher's embedding is a trained connector: it gets a gradient.
    assert ours[1][1].abs().sum() > 0


@pytest.mark.parametrize('gamma,order', [(0.4, 2), (0.7, 4)])
def test_paper_form_matches_its_definition(gamma, order):
    student, teacher = leaves((4, 3), (4, 3), seed=8)
    loss = CCLoss(mode='taylor_rbf', gamma=gamma, order=order)
    ours = value_and_grads(loss, student, teacher)
    ref = value_and_grads(
        lambda s, t: reference_paper(s, t, gamma, order), student, teacher)
    assert_same(ours, ref)


def test_paper_form_approaches_the_gaussian_kernel():
    student, teacher = leaves((4, 3), (4, 3), seed=9)
    gamma = 0.4

    def rbf(embedding):
        unit = embedding / embedding.norm(dim=1, keepdim=True)
        return torch.exp(-gamma * torch.cdist(unit, unit)**2)

    exact = (rbf(teacher) - rbf(student)).square().mean()
    series = CCLoss(mode='taylor_rbf', gamma=gamma, order=20)(student,
                                                              teacher)
    assert float(series) == pytest.approx(float(exact), rel=1e-9)


def test_bad_inputs_are_named():
    student, teacher = leaves((4, 8), (4, 6))
    with pytest.raises(ValueError, match=r'CCLoss: preds_S must have the '
                       r'shape \(4, 6\), got \(4, 8\)'):
        CCLoss()(student, teacher)
    with pytest.raises(ValueError, match=r"mode must be one of "):
        CCLoss(mode='rbf')
