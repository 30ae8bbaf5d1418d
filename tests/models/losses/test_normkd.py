"""NormKDLoss against a float64 reference written from NormKD (arXiv
2308.00520): per-sample temperatures T = t_norm * std(z), computed for the
teacher and the student separately, KL weighted by the teacher's T^2."""
import pytest
import torch

from mmcls_kd.models.losses import KDLoss, NormKDLoss, kd_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def reference_normkd_rows(student, teacher, t_norm):
    """The loss of each sample."""
    rows = []
    for row_S, row_T in zip(student, teacher):
        temp_S = t_norm * ref.std(row_S)
        temp_T = t_norm * ref.std(row_T)
        prob_T = ref.softmax([v / temp_T for v in row_T])
        log_S = ref.log_softmax([v / temp_S for v in row_S])
        rows.append(temp_T**2 * ref.kl(prob_T, log_S))
    return rows


def reference_normkd(student, teacher, t_norm, loss_weight=1.0):
    rows = reference_normkd_rows(student, teacher, t_norm)
    return sum(rows) / len(rows) * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('t_norm', [1.0, 2.0])
def test_matches_reference(num_classes, t_norm):
    preds_S = ref.logits(6, num_classes, seed=num_classes)
    # Teacher rows with very different spreads: per-sample temperatures.
    preds_T = ref.logits(6, num_classes, seed=num_classes + 1)
    preds_T *= torch.linspace(0.2, 5.0, 6, dtype=torch.float64)[:, None]
    loss = NormKDLoss(t_norm=t_norm, loss_weight=0.9)(preds_S, preds_T)
    expected = reference_normkd(preds_S.tolist(), preds_T.tolist(), t_norm,
                                0.9)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    same = KDLoss(tau='norm', t_norm=t_norm, loss_weight=0.9)
    assert same(preds_S, preds_T).item() == pytest.approx(expected, rel=1e-9)


def test_kd_loss_with_norm_tau_per_sample_and_the_module_mean():
    preds_S = ref.logits(6, 10, seed=20)
    preds_T = ref.logits(6, 10, seed=21)
    preds_T *= torch.linspace(0.2, 5.0, 6, dtype=torch.float64)[:, None]
    per_sample = kd_loss(preds_S, preds_T, tau='norm', t_norm=1.5)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_normkd_rows(preds_S.tolist(), preds_T.tolist(), 1.5),
        rel=1e-9)
    module = NormKDLoss(t_norm=1.5, loss_weight=0.9)(preds_S, preds_T)
    assert torch.equal(module, 0.9 * per_sample.mean())


def test_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='NormKDLoss'))
    assert isinstance(loss_fn, NormKDLoss)
    assert (loss_fn.tau, loss_fn.t_norm, loss_fn.loss_weight) == ('norm', 2.0,
                                                                  1.0)


def test_gradient_reaches_student_only():
    preds_S = ref.logits(2, 5, seed=2)
    preds_T = ref.logits(2, 5, seed=3)
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    NormKDLoss()(student, teacher).backward()
    assert teacher.grad is None
    # Also through the student's standard deviation, as in NormKD's code.
    numeric = ref.numeric_grad(
        lambda s: reference_normkd(s, preds_T.tolist(), 2.0), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


def test_scale_invariance_and_constant_rows():
    preds_S = ref.logits(3, 10, seed=4)
    preds_T = ref.logits(3, 10, seed=5)
    loss = NormKDLoss()(preds_S, preds_T)
    # Scaling the student changes nothing; scaling the teacher scales the
    # weight T^2 only.
    assert NormKDLoss()(preds_S * 7, preds_T).item() == pytest.approx(
        loss.item(), rel=1e-9)
    assert NormKDLoss()(preds_S, preds_T * 3).item() == pytest.approx(
        9 * loss.item(), rel=1e-9)
    # A row of equal logits is the uniform distribution, not 0 / 0.
    flat = torch.zeros(2, 10, requires_grad=True)
    ref.assert_finite_with_grad(NormKDLoss()(flat, flat.detach()), flat)


def test_huge_logits_and_bfloat16_stay_finite():
    huge = ref.logits(4, 100, seed=6).float() * 1e4
    student = huge.clone().requires_grad_()
    ref.assert_finite_with_grad(NormKDLoss()(student, huge.flip(1)), student)

    features, (head_S, head_T) = ref.autocast_heads(100, 2, seed=7)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = NormKDLoss()(head_S(features), head_T(features))
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_rejects_bad_inputs():
    preds = torch.randn(4, 10)
    with pytest.raises(ValueError, match=r'student predicts 10 classes and '
                       r'the teacher 12.*\(4, 10\).*\(4, 12\)'):
        NormKDLoss()(preds, torch.randn(4, 12))
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(10,\)'):
        NormKDLoss()(preds[0], preds[0])
    with pytest.raises(ValueError, match='t_norm must be > 0'):
        NormKDLoss(t_norm=0)
