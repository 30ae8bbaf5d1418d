"""OFD (arXiv 1904.01866): the margin against numerical integration of the
Gaussian, the partial L2 against float64 loops, and MMRazor's OFDLoss."""
import math

import pytest
import torch
from mmrazor.models.losses import OFDLoss as MMRazorOFDLoss

from mmcls_kd.models.losses.feature import OFDLoss, ofd_margin


def integrated_margin(gamma, beta, steps=40001):
    """E[x | x < 0] for x ~ N(beta, gamma^2), by the trapezoid rule."""
    s, m = abs(gamma), beta
    x = torch.linspace(m - 12 * s, 0.0, steps, dtype=torch.float64)
    pdf = torch.exp(-((x - m) / s)**2 / 2) / (s * math.sqrt(2 * math.pi))
    prob = torch.trapezoid(pdf, x)
    if prob <= 1e-3:
        return -3 * s
    return float(torch.trapezoid(x * pdf, x) / prob)


def closed_form_margin(gamma, beta):
    """m - s phi(m / s) / Phi(-m / s), or -3 s where Phi(-m / s) <= 1e-3."""
    s, m = abs(gamma), beta
    negative = 0.5 * math.erfc(m / s / math.sqrt(2))
    if negative <= 1e-3:
        return -3 * s
    density = math.exp(-(m / s)**2 / 2) / math.sqrt(2 * math.pi)
    return m - s * density / negative


@pytest.mark.parametrize('gamma,beta', [(1.0, 0.0), (0.5, 0.3), (-2.0, 1.5),
                                        (1.3, -0.7), (0.2, 0.55)])
def test_margin_is_the_mean_of_the_negative_part(gamma, beta):
    margin = ofd_margin(torch.tensor([gamma]), torch.tensor([beta]))
    assert float(margin) == pytest.approx(integrated_margin(gamma, beta),
                                          rel=1e-5)
    # float32 in, float32 out.
    assert float(margin) == pytest.approx(closed_form_margin(gamma, beta),
                                          rel=1e-6)
    assert float(margin) < 0


def test_margin_falls_back_to_minus_three_sigma():
    # P(x < 0) = Phi(-4) < 0.001.
    margin = ofd_margin(torch.tensor([0.5]), torch.tensor([2.0]))
    assert float(margin) == pytest.approx(-1.5)


def reference_loss(student, teacher, margins, loss_weight):
    total = 0.0
    n, c, h, w = student.shape
    for b in range(n):
        for ch in range(c):
            for y in range(h):
                for x in range(w):
                    s = float(student[b, ch, y, x])
                    t = max(float(teacher[b, ch, y, x]), margins[ch])
                    if s > t or t > 0:
                        total += (s - t)**2
    return total / n * loss_weight


def _case(seed, shape=(3, 4, 3, 3)):
    g = torch.Generator().manual_seed(seed)
    student = torch.randn(shape, generator=g, dtype=torch.float64)
    teacher = torch.randn(shape, generator=g, dtype=torch.float64) * 2
    weight = torch.rand(shape[1], generator=g, dtype=torch.float64) + 0.2
    bias = torch.randn(shape[1], generator=g, dtype=torch.float64)
    return student, teacher, weight, bias


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_partial_l2_matches_reference(seed):
    student, teacher, weight, bias = _case(seed)
    loss = OFDLoss(loss_weight=0.25)(student, teacher, weight, bias)
    margins = [closed_form_margin(float(g), float(b))
               for g, b in zip(weight, bias)]
    expected = reference_loss(student, teacher, margins, 0.25)
    assert float(loss) == pytest.approx(expected, rel=1e-10)


def test_mmrazor_partial_l2_agrees_given_the_margin():
    student, teacher, weight, bias = _case(3)
    ours = OFDLoss(loss_weight=1e-3)(student, teacher, weight, bias)
    target = torch.maximum(teacher, ofd_margin(weight, bias).view(1, -1, 1, 1))
    theirs = MMRazorOFDLoss(loss_weight=1.0, mul_factor=1000)(student, target)
    assert float(ours) == pytest.approx(float(theirs), rel=1e-12)


def test_pool_teacher_to_the_students_size():
    student, _, weight, bias = _case(4)
    big = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    pooled = big.view(3, 4, 3, 2, 3, 2).mean(dim=(3, 5))
    loss = OFDLoss(pool_teacher=True)(student, big, weight, bias)
    assert float(loss) == pytest.approx(
        float(OFDLoss()(student, pooled, weight, bias)), rel=1e-12)
    with pytest.raises(ValueError, match=r'\(3, 4, 3, 3\).*\(3, 4, 6, 6\)'):
        OFDLoss()(student, big, weight, bias)


def test_gradient_reaches_only_the_student():
    student, teacher, weight, bias = _case(5)
    student.requires_grad_(True)
    teacher.requires_grad_(True)
    OFDLoss()(student, teacher, weight, bias).backward()
    assert teacher.grad is None and student.grad.abs().sum() > 0


def test_wrong_shapes_are_named():
    student, teacher, weight, bias = _case(6)
    with pytest.raises(ValueError, match=r'\(3, 2, 3, 3\).*\(3, 4, 3, 3\)'):
        OFDLoss()(student[:, :2], teacher, weight, bias)
    with pytest.raises(ValueError, match=r'BatchNorm has 3 channels'):
        OFDLoss()(student, teacher, weight[:3], bias[:3])
    with pytest.raises(ValueError, match=r'\(3, 36\)'):
        OFDLoss()(student.flatten(1), teacher, weight, bias)


def test_half_precision_input_computes_in_float32():
    student, teacher, weight, bias = _case(7)
    loss = OFDLoss()(student.half(), teacher.half(), weight.float(),
                     bias.float())
    assert loss.dtype == torch.float32
    assert float(loss) == pytest.approx(
        float(OFDLoss()(student.half().double(), teacher.half().double(),
                        weight, bias)), rel=1e-3)
