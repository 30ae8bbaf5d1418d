"""KDLoss against a float64 reference written from Hinton et al. (arXiv
1503.02531): tau^2 * KL(softmax(z_t / tau) || softmax(z_s / tau)); with
tau='zscore', from logit standardisation (arXiv 2403.01427): the same on
z-scored logits with the base temperature."""
import pytest
import torch

from mmcls_kd.models.losses import KDLoss, kd_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def reference_kd_rows(student, teacher, tau):
    """The loss of each sample."""
    rows = []
    for row_S, row_T in zip(student, teacher):
        prob_T = ref.softmax([v / tau for v in row_T])
        log_S = ref.log_softmax([v / tau for v in row_S])
        rows.append(tau**2 * ref.kl(prob_T, log_S))
    return rows


def reference_kd(student, teacher, tau, loss_weight=1.0):
    rows = reference_kd_rows(student, teacher, tau)
    return sum(rows) / len(rows) * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_matches_reference(num_classes, tau):
    preds_S = ref.logits(6, num_classes, seed=num_classes)
    preds_T = ref.logits(6, num_classes, seed=num_classes + 1)
    loss = KDLoss(tau=tau, loss_weight=0.7)(preds_S, preds_T)
    expected = reference_kd(preds_S.tolist(), preds_T.tolist(), tau, 0.7)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_kd_loss_per_sample_and_the_module_mean(tau):
    preds_S = ref.logits(6, 10, seed=20)
    preds_T = ref.logits(6, 10, seed=21)
    per_sample = kd_loss(preds_S, preds_T, tau=tau)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_kd_rows(preds_S.tolist(), preds_T.tolist(), tau), rel=1e-9)
    module = KDLoss(tau=tau, loss_weight=0.7)(preds_S, preds_T)
    assert torch.equal(module, 0.7 * per_sample.mean())


def test_float32_and_registry():
    preds_S = ref.logits(5, 100, seed=3).float()
    preds_T = ref.logits(5, 100, seed=4).float()
    loss_fn = MODELS.build(dict(type='KDLoss', tau=4.0))
    assert isinstance(loss_fn, KDLoss)
    loss = loss_fn(preds_S, preds_T)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        reference_kd(preds_S.tolist(), preds_T.tolist(), 4.0), rel=1e-5)


def test_gradient_reaches_student_only():
    preds_S = ref.logits(2, 5, seed=5)
    preds_T = ref.logits(2, 5, seed=6)
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    KDLoss(tau=2.0)(student, teacher).backward()
    assert teacher.grad is None
    numeric = ref.numeric_grad(
        lambda s: reference_kd(s, preds_T.tolist(), 2.0), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


def test_identical_logits_give_zero():
    preds = ref.logits(3, 10, seed=7)
    assert KDLoss(tau=4.0)(preds, preds).item() == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize('tau', [1.0, 'norm', 'zscore'])
def test_huge_logits_and_bfloat16_stay_finite(tau):
    huge = ref.logits(4, 10, seed=8).float() * 1e4
    student = huge.clone().requires_grad_()
    ref.assert_finite_with_grad(
        KDLoss(tau=tau)(student, huge.flip(1)), student)

    features, (head_S, head_T) = ref.autocast_heads(10, 2, seed=9)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = KDLoss(tau=tau)(head_S(features), head_T(features))
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def reference_zscore_kd_rows(student, teacher, base):
    """KD with logit standardisation: each row z-scored, then KD at the
    base temperature, its KL weighted by base^2 (the official code)."""
    return reference_kd_rows([ref.zscore(row) for row in student],
                             [ref.zscore(row) for row in teacher], base)


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('base', [2.0, 3.0])
def test_logit_standardisation_matches_reference(num_classes, base):
    preds_S = ref.logits(6, num_classes, seed=40 + num_classes)
    preds_T = ref.logits(6, num_classes, seed=41 + num_classes)
    preds_T *= torch.linspace(0.2, 5.0, 6, dtype=torch.float64)[:, None]
    per_sample = kd_loss(preds_S, preds_T, tau='zscore', t_norm=base)
    expected = reference_zscore_kd_rows(preds_S.tolist(), preds_T.tolist(),
                                        base)
    assert per_sample.tolist() == pytest.approx(expected, rel=1e-9)
    module = KDLoss(tau='zscore', t_norm=base, loss_weight=9.0)
    assert torch.equal(module(preds_S, preds_T), 9.0 * per_sample.mean())


def test_logit_standardisation_is_normkd_weighted_by_the_base_only():
    preds_S = ref.logits(5, 10, seed=50)
    preds_T = ref.logits(5, 10, seed=51)
    zscore = kd_loss(preds_S, preds_T, tau='zscore', t_norm=2.0)
    norm = kd_loss(preds_S, preds_T, tau='norm', t_norm=2.0)
    # The same softmaxes (up to the 1e-7 added to the standard deviation);
    # NormKD weights a sample by (2 std(z_t))^2, logit standardisation by 2^2.
    std_T = torch.tensor([ref.std(row) for row in preds_T.tolist()],
                         dtype=torch.float64)
    torch.testing.assert_close(norm, zscore * std_T**2, rtol=1e-6, atol=0)
    # Shifting or scaling either model's logits changes nothing.
    moved = kd_loss(
        preds_S * 0.1 - 3, preds_T * 7 + 2, tau='zscore', t_norm=2.0)
    torch.testing.assert_close(moved, zscore, rtol=1e-6, atol=0)


def test_logit_standardisation_gradient_reaches_student_only():
    preds_S = ref.logits(2, 5, seed=52)
    preds_T = ref.logits(2, 5, seed=53)
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    KDLoss(tau='zscore', t_norm=2.0)(student, teacher).backward()
    assert teacher.grad is None

    def reference(rows):
        values = reference_zscore_kd_rows(rows, preds_T.tolist(), 2.0)
        return sum(values) / len(values)

    # Also through the student's mean and standard deviation, as in the
    # official code.
    numeric = ref.numeric_grad(reference, preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)
    # A row of equal logits is the uniform distribution, not 0 / 0.
    flat = torch.zeros(2, 10, requires_grad=True)
    ref.assert_finite_with_grad(
        KDLoss(tau='zscore')(flat, preds_T.float().repeat(1, 2)), flat)


def test_rejects_bad_inputs():
    loss_fn = KDLoss()
    preds = torch.randn(4, 10)
    with pytest.raises(ValueError, match=r'student predicts 10 classes and '
                       r'the teacher 100'):
        loss_fn(preds, torch.randn(4, 100))
    with pytest.raises(ValueError, match=r'preds_T must have the shape of '
                       r'preds_S \(4, 10\), got \(3, 10\)'):
        loss_fn(preds, torch.randn(3, 10))
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(4, 10, 1\)'):
        loss_fn(preds[..., None], preds[..., None])
    with pytest.raises(ValueError, match='tau must be > 0'):
        KDLoss(tau=0)
    with pytest.raises(ValueError, match="'norm'"):
        KDLoss(tau='normal')
    for tau in ('norm', 'zscore'):
        with pytest.raises(ValueError, match=r'at least 2 classes.*\(4, 1\)'):
            KDLoss(tau=tau)(preds[:, :1], preds[:, :1])
