"""WTTMLoss against a float64 reference written from "Knowledge
Distillation Based on Transformed Teacher Matching" (arXiv 2402.11148): the
teacher's probabilities raised to gamma = 1 / tau and renormalised, matched
by the unsoftened student in KL divergence, each sample weighted by the
power sum sum_k p_k^gamma (the official code's ``norm``)."""
import pytest
import torch

from mmcls_kd.models.losses import WTTMLoss, kd_loss, wttm_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def reference_wttm_rows(student, teacher, tau):
    """The loss of each sample."""
    rows = []
    for row_S, row_T in zip(student, teacher):
        powered = [p**(1 / tau) for p in ref.softmax(row_T)]
        power_sum = sum(powered)
        transformed = [p / power_sum for p in powered]
        rows.append(power_sum * ref.kl(transformed, ref.log_softmax(row_S)))
    return rows


def reference_wttm(student, teacher, tau, loss_weight=1.0):
    rows = reference_wttm_rows(student, teacher, tau)
    return sum(rows) / len(rows) * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tau', [1.0, 2.0, 5.0, 10.0])
def test_matches_reference(num_classes, tau):
    preds_S = ref.logits(6, num_classes, seed=num_classes)
    preds_T = ref.logits(6, num_classes, seed=num_classes + 1)
    loss = WTTMLoss(tau=tau, loss_weight=4.0)(preds_S, preds_T)
    expected = reference_wttm(preds_S.tolist(), preds_T.tolist(), tau, 4.0)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_wttm_loss_per_sample_and_the_module_mean():
    preds_S = ref.logits(6, 10, seed=20)
    preds_T = ref.logits(6, 10, seed=21)
    per_sample = wttm_loss(preds_S, preds_T, tau=5.0)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_wttm_rows(preds_S.tolist(), preds_T.tolist(), 5.0), rel=1e-9)
    module = WTTMLoss(tau=5.0, loss_weight=4.0)(preds_S, preds_T)
    assert torch.equal(module, per_sample.mean() * 4.0)


def test_the_weight_and_the_transform():
    preds_S = ref.logits(4, 10, seed=22)
    preds_T = ref.logits(4, 10, seed=23)
    # tau 1: no transform and a weight of 1, KD at temperature 1.
    torch.testing.assert_close(
        wttm_loss(preds_S, preds_T, tau=1.0),
        kd_loss(preds_S, preds_T, tau=1.0),
        rtol=1e-12,
        atol=1e-15)
    # A student equal to the transformed teacher, softmax(z_t / tau): 0.
    assert wttm_loss(preds_T / 5.0, preds_T, tau=5.0).abs().max() < 1e-12
    # The weight is the power sum: at most C^(1 - 1 / tau), for a uniform
    # teacher, and 1 for a certain one.
    flat = torch.zeros(1, 10, dtype=torch.float64)
    certain = torch.tensor([[1e4] + [0.0] * 9], dtype=torch.float64)
    student = ref.logits(1, 10, seed=24)
    for teacher, weight in [(flat, 10**0.8), (certain, 1.0)]:
        kl = kd_loss(student, teacher / 5.0, tau=1.0)
        torch.testing.assert_close(
            wttm_loss(student, teacher, tau=5.0),
            weight * kl,
            rtol=1e-12,
            atol=0)


def test_gradient_reaches_student_only():
    preds_S = ref.logits(2, 5, seed=5)
    preds_T = ref.logits(2, 5, seed=6)
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    WTTMLoss(tau=4.0, loss_weight=2.0)(student, teacher).backward()
    assert teacher.grad is None
    numeric = ref.numeric_grad(
        lambda s: reference_wttm(s, preds_T.tolist(), 4.0, 2.0), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


def test_huge_logits_and_bfloat16_stay_finite():
    huge = ref.logits(4, 10, seed=8).float() * 1e4
    for preds_S, preds_T in [(huge, huge.flip(1)), (huge, huge),
                             (huge.flip(1), huge * 0)]:
        student = preds_S.clone().requires_grad_()
        loss = WTTMLoss(tau=5.0)(student, preds_T)
        ref.assert_finite_with_grad(loss, student)

    features, (head_S, head_T) = ref.autocast_heads(10, 2, seed=9)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = WTTMLoss(tau=5.0)(head_S(features), head_T(features))
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_defaults_registry_and_bad_inputs():
    loss_fn = MODELS.build(dict(type='WTTMLoss'))
    assert isinstance(loss_fn, WTTMLoss)
    assert (loss_fn.tau, loss_fn.loss_weight) == (1.0, 1.0)
    preds = torch.randn(4, 10)
    with pytest.raises(
            ValueError,
            match=r'student predicts 10 classes and '
            r'the teacher 100'):
        loss_fn(preds, torch.randn(4, 100))
    with pytest.raises(
            ValueError,
            match=r'preds_T must have the shape of '
            r'preds_S \(4, 10\), got \(3, 10\)'):
        loss_fn(preds, torch.randn(3, 10))
    with pytest.raises(ValueError, match='tau must be > 0, got -5.0'):
        WTTMLoss(tau=-5.0)
    assert loss_fn(preds, preds).item() == pytest.approx(0, abs=1e-6)
