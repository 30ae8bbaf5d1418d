"""WSLDLoss against a float64 reference written from "Rethinking Soft
Labels for Knowledge Distillation" (arXiv 2102.00650) as its official code
computes it: weight 1 - exp(-ce_S / ce_T) on the soft cross-entropy; with
NormKD's and logit standardisation's per-sample temperatures on the soft
term."""
import math

import pytest
import torch

from mmcls_kd.models.losses import WSLDLoss, wsld_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def wsld_weights(student, teacher, labels):
    weights = []
    for row_S, row_T, label in zip(student, teacher, labels):
        t = ref.target_of(label, len(row_S))
        ce_S = -ref.log_softmax(row_S)[t]
        ce_T = -ref.log_softmax(row_T)[t]
        weights.append(1 - math.exp(-max(ce_S / (ce_T + 1e-7), 0.0)))
    return weights


def _softened(row_S, row_T, tau, t_norm):
    """Both rows at their temperature, and the factor of the sample's
    loss: tau and tau^2; NormKD's t_norm * std(z) per row and the
    teacher's square; the z-scores over the base t_norm and t_norm^2."""
    if tau == 'norm':
        temp_S, temp_T = t_norm * ref.std(row_S), t_norm * ref.std(row_T)
        return ([v / temp_S for v in row_S], [v / temp_T
                                              for v in row_T], temp_T**2)
    if tau == 'zscore':
        return ref.zscore(row_S, t_norm), ref.zscore(row_T, t_norm), t_norm**2
    return [v / tau for v in row_S], [v / tau for v in row_T], tau**2


def reference_wsld_rows(student,
                        teacher,
                        labels,
                        tau,
                        weights=None,
                        t_norm=2.0):
    """``tau^2 * w_i * H_i`` of each sample; ``weights`` fixes the
    per-sample weights (they carry no gradient)."""
    if weights is None:
        weights = wsld_weights(student, teacher, labels)
    rows = []
    for row_S, row_T, weight in zip(student, teacher, weights):
        soft_S, soft_T, factor = _softened(row_S, row_T, tau, t_norm)
        prob_T = ref.softmax(soft_T)
        log_S = ref.log_softmax(soft_S)
        soft_ce = -sum(p * lq for p, lq in zip(prob_T, log_S))
        rows.append(factor * weight * soft_ce)
    return rows


def reference_wsld(student,
                   teacher,
                   labels,
                   tau,
                   alpha,
                   loss_weight=1.0,
                   weights=None):
    rows = reference_wsld_rows(student, teacher, labels, tau, weights)
    return alpha * sum(rows) / len(rows) * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tau,alpha', [(4.0, 2.25), (2.0, 2.5)])
@pytest.mark.parametrize('soft', [False, True])
def test_matches_reference(num_classes, tau, alpha, soft):
    preds_S = ref.logits(6, num_classes, seed=num_classes)
    preds_T = ref.logits(6, num_classes, seed=num_classes + 1)
    gt_labels = ref.labels(6, num_classes, seed=num_classes + 2, soft=soft)
    loss = WSLDLoss(tau=tau, alpha=alpha, loss_weight=0.5)(preds_S, preds_T,
                                                           gt_labels)
    expected = reference_wsld(preds_S.tolist(), preds_T.tolist(),
                              gt_labels.tolist(), tau, alpha, 0.5)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize('soft', [False, True])
def test_wsld_loss_per_sample_and_the_module_reduction(soft):
    preds_S = ref.logits(6, 10, seed=30)
    preds_T = ref.logits(6, 10, seed=31)
    gt_labels = ref.labels(6, 10, seed=32, soft=soft)
    per_sample = wsld_loss(preds_S, preds_T, gt_labels, tau=4.0)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_wsld_rows(preds_S.tolist(), preds_T.tolist(),
                            gt_labels.tolist(), 4.0),
        rel=1e-9)
    module = WSLDLoss(
        tau=4.0, alpha=2.25, loss_weight=0.5)(preds_S, preds_T, gt_labels)
    assert torch.equal(module, 2.25 * per_sample.mean() * 0.5)
    # The official code multiplies the batch mean by tau^2 instead: with
    # tau^2 = 16 a power of two, the same value to the last bit.
    unweighted = wsld_loss(preds_S, preds_T, gt_labels, tau=4.0) / 16.0
    assert torch.equal(module, 2.25 * (16.0 * unweighted.mean()) * 0.5)


@pytest.mark.parametrize('tau', ['norm', 'zscore'])
@pytest.mark.parametrize('soft', [False, True])
def test_per_sample_temperatures_match_reference(tau, soft):
    preds_S = ref.logits(6, 10, seed=33)
    preds_T = ref.logits(6, 10, seed=34)
    preds_T *= torch.linspace(0.2, 5.0, 6, dtype=torch.float64)[:, None]
    gt_labels = ref.labels(6, 10, seed=35, soft=soft)
    per_sample = wsld_loss(preds_S, preds_T, gt_labels, tau=tau, t_norm=1.5)
    # The weights stay at temperature 1.
    assert per_sample.tolist() == pytest.approx(
        reference_wsld_rows(
            preds_S.tolist(),
            preds_T.tolist(),
            gt_labels.tolist(),
            tau,
            t_norm=1.5),
        rel=1e-9)
    module = WSLDLoss(tau=tau, alpha=2.25, t_norm=1.5)
    assert torch.equal(
        module(preds_S, preds_T, gt_labels), 2.25 * per_sample.mean() * 1.0)
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(6, 1\)'):
        module(preds_S[:, :1], preds_T[:, :1], torch.zeros(6, dtype=int))


def test_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='WSLDLoss'))
    assert isinstance(loss_fn, WSLDLoss)
    assert (loss_fn.tau, loss_fn.alpha, loss_fn.loss_weight) == (1.0, 1.0,
                                                                 1.0)


def test_weight_follows_the_student_teacher_ratio():
    # The student as good as the teacher on the label: 1 - exp(-1);
    # a perfect student: 0 (no soft loss at all).
    preds = ref.logits(3, 10, seed=3)
    labels = torch.tensor([1, 4, 7])
    loss = WSLDLoss(tau=2.0)(preds, preds, labels)
    expected = reference_wsld(preds.tolist(), preds.tolist(), [1, 4, 7], 2.0,
                              1.0, weights=[1 - math.exp(-1)] * 3)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    perfect = preds.clone()
    perfect[torch.arange(3), labels] = 1e4
    assert WSLDLoss()(perfect, preds, labels).item() == 0


def test_gradient_reaches_student_only_weights_stopped():
    preds_S = ref.logits(2, 5, seed=4)
    preds_T = ref.logits(2, 5, seed=5)
    labels = [0, 3]
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    WSLDLoss(tau=2.0, alpha=2.5)(student, teacher,
                                 torch.tensor(labels)).backward()
    assert teacher.grad is None
    weights = wsld_weights(preds_S.tolist(), preds_T.tolist(), labels)
    numeric = ref.numeric_grad(
        lambda s: reference_wsld(s, preds_T.tolist(), labels, 2.0, 2.5,
                                 weights=weights), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize('tau', [4.0, 'norm', 'zscore'])
def test_huge_logits_and_bfloat16_stay_finite(tau):
    gt_labels = torch.tensor([0, 1, 2, 3])
    huge = ref.logits(4, 10, seed=6).float() * 1e4
    certain = huge.clone()
    certain[torch.arange(4), gt_labels] = 3e4
    for preds_S, preds_T in [(huge, huge.flip(1)), (huge, certain),
                             (certain, certain)]:
        student = preds_S.clone().requires_grad_()
        ref.assert_finite_with_grad(
            WSLDLoss(tau=tau)(student, preds_T, gt_labels), student)

    features, (head_S, head_T) = ref.autocast_heads(10, 2, seed=7)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = WSLDLoss(
            tau=tau, alpha=2.25)(head_S(features), head_T(features), gt_labels)
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_rejects_bad_inputs():
    loss_fn = WSLDLoss()
    preds = torch.randn(4, 10)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r'student predicts 10 classes and '
                       r'the teacher 1000'):
        loss_fn(preds, torch.randn(4, 1000), labels)
    with pytest.raises(ValueError, match=r'\(4,\).*\(4, 10\).*got \(4, 3\)'):
        loss_fn(preds, preds, torch.zeros(4, 3))
    ref.soft_row_error(lambda bad: loss_fn(preds, preds, bad))
    with pytest.raises(ValueError, match='tau must be > 0'):
        WSLDLoss(tau=0.0)
