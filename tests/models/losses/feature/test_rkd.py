"""RKD (arXiv 1904.05068): MMRazor's DistanceWiseRKD and this package's
RKDAngleLoss against float64 loops written from the paper's definitions."""
import itertools
import math

import pytest
import torch
from mmrazor.models.losses import AngleWiseRKD, DistanceWiseRKD

from mmcls_kd.models.losses.feature import RKDAngleLoss


def _huber(a, b):
    diff = abs(a - b)
    return 0.5 * diff**2 if diff < 1 else diff - 0.5


def _dist(x, y):
    return math.sqrt(sum((p - q)**2 for p, q in zip(x, y)))


def reference_distance(student, teacher):
    """psi_D = ||x_i - x_j|| / mu, mu the mean over pairs i != j; Huber
    averaged over all N^2 ordered pairs (the diagonal is 0 on both sides)."""
    n = len(student)

    def psi(rows):
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        mu = sum(_dist(rows[i], rows[j]) for i, j in pairs) / len(pairs)
        return [[_dist(rows[i], rows[j]) / mu for j in range(n)]
                for i in range(n)]

    ps, pt = psi(student), psi(teacher)
    return sum(_huber(ps[i][j], pt[i][j]) for i in range(n)
               for j in range(n)) / n**2


def reference_angle(student, teacher):
    """psi_A = <e_ij, e_kj>, the cosine at x_j; a zero difference counts as
    0; Huber averaged over all N^3 ordered triplets."""
    n = len(student)

    def unit(a, b):
        d = [p - q for p, q in zip(a, b)]
        norm = math.sqrt(sum(v * v for v in d))
        return [v / norm for v in d] if norm > 0 else [0.0] * len(d)

    def psi(rows, i, j, k):
        return sum(p * q for p, q in zip(unit(rows[i], rows[j]),
                                         unit(rows[k], rows[j])))

    total = 0.0
    for i, j, k in itertools.product(range(n), repeat=3):
        total += _huber(psi(student, i, j, k), psi(teacher, i, j, k))
    return total / n**3


def _embeddings(seed, n=6, c_s=5, c_t=7):
    g = torch.Generator().manual_seed(seed)
    student = torch.randn(n, c_s, generator=g, dtype=torch.float64)
    teacher = torch.randn(n, c_t, generator=g, dtype=torch.float64) * 3
    return student, teacher


@pytest.mark.parametrize('seed', [0, 1])
def test_mmrazor_distance_matches_reference(seed):
    student, teacher = _embeddings(seed)
    loss = DistanceWiseRKD(
        loss_weight=25.0, with_l2_norm=False)(student, teacher)
    expected = 25.0 * reference_distance(student.tolist(), teacher.tolist())
    assert float(loss) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize('seed', [0, 1])
def test_angle_matches_reference_and_mmrazor(seed):
    student, teacher = _embeddings(seed)
    ours = RKDAngleLoss(loss_weight=50.0)(student, teacher)
    expected = 50.0 * reference_angle(student.tolist(), teacher.tolist())
    assert float(ours) == pytest.approx(expected, rel=1e-9)
    theirs = AngleWiseRKD(
        loss_weight=50.0, with_l2_norm=False)(student, teacher)
    assert float(theirs) == pytest.approx(expected, rel=1e-9)


def test_angle_with_l2_norm():
    student, teacher = _embeddings(3)
    loss = RKDAngleLoss(with_l2_norm=True, loss_weight=1.0)(student, teacher)

    def normalised(rows):
        return [[v / math.sqrt(sum(x * x for x in row)) for v in row]
                for row in rows.tolist()]

    expected = reference_angle(normalised(student), normalised(teacher))
    assert float(loss) == pytest.approx(expected, rel=1e-9)


def test_equal_embeddings_keep_a_finite_gradient():
    # Two samples with the same student embedding (e.g. all-zero pooled
    # features) but different teacher embeddings.
    student, teacher = _embeddings(4)
    student[1] = student[0]
    student.requires_grad_(True)
    RKDAngleLoss()(student, teacher).backward()
    ours = student.grad.abs().max()
    assert torch.isfinite(ours) and ours < 100
    student.grad = None
    AngleWiseRKD(with_l2_norm=False)(student, teacher).backward()
    # MMRazor's F.normalize: gradient 1 / eps at the zero difference.
    assert student.grad.abs().max() > 1e9


def test_teacher_gets_no_gradient_and_bad_batch_is_named():
    student, teacher = _embeddings(5)
    teacher.requires_grad_(True)
    student.requires_grad_(True)
    RKDAngleLoss()(student, teacher).backward()
    assert teacher.grad is None and student.grad is not None
    with pytest.raises(ValueError, match=r'\(6, 5\) and \(4, 7\)'):
        RKDAngleLoss()(student, teacher[:4])
