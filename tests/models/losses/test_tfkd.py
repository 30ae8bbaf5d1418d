"""TfKDRegLoss against a float64 reference written from section 5 of
"Revisiting Knowledge Distillation via Label Smoothing Regularization"
(arXiv 1909.11723), in the paper's form and in the official code's."""
import pytest
import torch

from mmcls_kd.models.losses import TfKDRegLoss, tfkd_reg_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def reference_tfkd_rows(student, labels, tau, a, student_temperature=True):
    """KL(p_d^tau || p^tau) of each sample."""
    num_classes = len(student[0])
    rows = []
    for row, label in zip(student, labels):
        t = ref.target_of(label, num_classes)
        virtual = [a if k == t else (1 - a) / (num_classes - 1)
                   for k in range(num_classes)]
        teacher = ref.softmax([p / tau for p in virtual])
        scale = tau if student_temperature else 1.0
        rows.append(ref.kl(teacher, ref.log_softmax([v / scale for v in row])))
    return rows


def reference_tfkd(student,
                   labels,
                   tau,
                   a,
                   alpha,
                   multiplier=1.0,
                   student_temperature=True,
                   reduction='batchmean',
                   loss_weight=1.0):
    num_classes = len(student[0])
    rows = reference_tfkd_rows(student, labels, tau, a, student_temperature)
    kl = sum(rows) / len(rows)
    if reduction == 'mean':
        kl /= num_classes
    return alpha * multiplier * kl * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('official', [False, True])
@pytest.mark.parametrize('soft', [False, True])
def test_matches_reference(num_classes, official, soft):
    preds = ref.logits(6, num_classes, seed=num_classes)
    gt_labels = ref.labels(6, num_classes, seed=num_classes + 1, soft=soft)
    options = dict(tau=20.0, correct_prob=0.99, alpha=0.1)
    if official:
        options.update(multiplier=100.0, student_temperature=False,
                       reduction='mean')
    loss = TfKDRegLoss(**options, loss_weight=0.5)(preds, gt_labels)
    expected = reference_tfkd(
        preds.tolist(), gt_labels.tolist(), 20.0, 0.99, 0.1,
        **(dict(multiplier=100.0, student_temperature=False,
                reduction='mean') if official else {}), loss_weight=0.5)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize('student_temperature', [True, False])
def test_tfkd_reg_loss_per_sample_and_the_module_reduction(
        student_temperature):
    preds = ref.logits(6, 10, seed=30)
    gt_labels = ref.labels(6, 10, seed=31, soft=True)
    per_sample = tfkd_reg_loss(
        preds,
        gt_labels,
        tau=4.0,
        correct_prob=0.9,
        student_temperature=student_temperature)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_tfkd_rows(preds.tolist(), gt_labels.tolist(), 4.0, 0.9,
                            student_temperature),
        rel=1e-9)
    options = dict(
        tau=4.0,
        correct_prob=0.9,
        alpha=0.1,
        multiplier=100.0,
        student_temperature=student_temperature,
        loss_weight=0.5)
    batchmean = TfKDRegLoss(**options)(preds, gt_labels)
    assert torch.equal(batchmean, 0.1 * 100.0 * per_sample.mean() * 0.5)
    mean = TfKDRegLoss(**options, reduction='mean')(preds, gt_labels)
    assert torch.equal(mean, 0.1 * 100.0 * (per_sample.mean() / 10) * 0.5)


def test_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='TfKDRegLoss'))
    assert isinstance(loss_fn, TfKDRegLoss)
    assert (loss_fn.tau, loss_fn.correct_prob, loss_fn.alpha,
            loss_fn.multiplier, loss_fn.student_temperature,
            loss_fn.reduction) == (20.0, 0.99, 0.1, 1.0, True, 'batchmean')


def test_minimum_is_the_virtual_teacher():
    # A student whose softened output is the virtual teacher: loss 0.
    labels = torch.tensor([2, 0])
    virtual = torch.full((2, 5), 0.01 / 4, dtype=torch.float64)
    virtual[torch.arange(2), labels] = 0.99
    loss = TfKDRegLoss(tau=3.0, student_temperature=False)
    assert loss(virtual / 3.0, labels).item() == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize('student_temperature', [True, False])
def test_gradient(student_temperature):
    preds = ref.logits(2, 5, seed=2)
    student = preds.clone().requires_grad_()
    TfKDRegLoss(tau=4.0, student_temperature=student_temperature)(
        student, torch.tensor([1, 4])).backward()
    numeric = ref.numeric_grad(
        lambda s: reference_tfkd(s, [1, 4], 4.0, 0.99, 0.1,
                                 student_temperature=student_temperature),
        preds)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-9)


def test_huge_logits_and_bfloat16_stay_finite():
    gt_labels = torch.tensor([0, 1, 2, 3])
    huge = ref.logits(4, 100, seed=3).float() * 1e4
    for student_temperature in (True, False):
        student = huge.clone().requires_grad_()
        loss = TfKDRegLoss(student_temperature=student_temperature)(
            student, gt_labels)
        ref.assert_finite_with_grad(loss, student)

    features, (head, ) = ref.autocast_heads(100, 1, seed=4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = TfKDRegLoss()(head(features), gt_labels)
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head.weight.grad.abs().sum() > 0


def test_rejects_bad_inputs():
    loss_fn = TfKDRegLoss()
    preds = torch.randn(4, 10)
    with pytest.raises(ValueError, match=r'\[0, 10\).*\(4, 10\)'):
        loss_fn(preds, torch.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(4, 10, 2\)'):
        loss_fn(preds[..., None].expand(4, 10, 2), torch.tensor([0, 1, 2, 3]))
    ref.soft_row_error(lambda bad: loss_fn(preds, bad))
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(4, 1\)'):
        loss_fn(preds[:, :1], torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r'correct_prob must be in \(0, 1\)'):
        TfKDRegLoss(correct_prob=1.0)
    with pytest.raises(ValueError, match="reduction must be one of "
                       "'batchmean', 'mean', got 'sum'"):
        TfKDRegLoss(reduction='sum')
