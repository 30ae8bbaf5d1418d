"""MLKDLoss against a float64 reference written from "Multi-Level Logit
Distillation" (Jin et al., CVPR 2023) with plain Python arithmetic: for each
temperature T the instance alignment T^2 KL(p_T || p_S) per sample, the
batch alignment ||P_T P_T^T - P_S P_S^T||^2 / N and the class alignment
||P_T^T P_T - P_S^T P_S||^2 / C, summed over the temperatures and the weak
and strong views as the official code sums them (its confidence masks act
as the fraction of samples, or classes, whose teacher confidence on the weak
view is at most the median). Logit standardisation (arXiv 2403.01427)
z-scores the logits of the instance alignment only."""
import math

import numpy as np
import pytest
import torch

from mmcls_kd.models.losses import MLKDLoss, mlkd_terms
from mmcls_kd.models.losses.mlkd import confidence_fractions
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref

OFFICIAL = dict(taus=(4.0, 3.0, 5.0, 2.0, 6.0), strong=(4.0, 3.0, 5.0),
                repeat=(2.0, 6.0))
# The logit standardisation code's MLKD: base temperature 2 in place of 4.
ZSCORE = dict(taus=(2.0, 3.0, 5.0, 2.0, 6.0), strong=(2.0, 3.0, 5.0),
              repeat=(2.0, 6.0))


def probabilities(rows, tau):
    return [ref.softmax([v / tau for v in row]) for row in rows]


def instance(student, teacher, tau, zscore):
    """tau^2 KL(p_T || p_S) of each sample."""
    if zscore:
        soft_S = [ref.zscore(row, base=tau) for row in student]
        soft_T = [ref.zscore(row, base=tau) for row in teacher]
    else:
        soft_S = [[v / tau for v in row] for row in student]
        soft_T = [[v / tau for v in row] for row in teacher]
    return [
        tau**2 * ref.kl(ref.softmax(t), ref.log_softmax(s))
        for s, t in zip(soft_S, soft_T)
    ]


def gram_gap(prob_S, prob_T):
    """Sum of the squared differences of the row-by-row inner products."""
    total = 0.0
    for i in range(len(prob_S)):
        for j in range(len(prob_S)):
            gram_S = sum(a * b for a, b in zip(prob_S[i], prob_S[j]))
            gram_T = sum(a * b for a, b in zip(prob_T[i], prob_T[j]))
            total += (gram_T - gram_S)**2
    return total


def batch_and_class(student, teacher, tau):
    prob_S, prob_T = probabilities(student, tau), probabilities(teacher, tau)
    num_samples, num_classes = len(prob_S), len(prob_S[0])
    columns_S = [list(c) for c in zip(*prob_S)]
    columns_T = [list(c) for c in zip(*prob_T)]
    return (gram_gap(prob_S, prob_T) / num_samples,
            gram_gap(columns_S, columns_T) / num_classes)


def median(values):
    """NumPy's percentile(values, 50): linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) / 2
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fractions(teacher_weak):
    probs = [ref.softmax(row) for row in teacher_weak]
    confidence = [max(p) for p in probs]
    per_class = [sum(column) for column in zip(*probs)]
    kept = [c <= median(confidence) for c in confidence]
    kept_classes = [c <= median(per_class) for c in per_class]
    return sum(kept) / len(kept), sum(kept_classes) / len(kept_classes)


def mean(values):
    return sum(values) / len(values)


def reference_mlkd(student, teacher, taus, strong, repeat, zscore=False,
                   weight=1.0):
    half = len(student) // 2
    weak_S, strong_S = student[:half], student[half:]
    weak_T, strong_T = teacher[:half], teacher[half:]
    samples, classes = fractions(weak_T)
    total = 0.0
    for tau in taus:
        batch, category = batch_and_class(weak_S, weak_T, tau)
        total += samples * mean(instance(weak_S, weak_T, tau, zscore))
        total += samples * batch + classes * category
    for tau in strong:
        total += mean(instance(strong_S, strong_T, tau, zscore))
    for tau in repeat:
        total += mean(instance(weak_S, weak_T, tau, zscore))
    return weight * total


def _batch(num_images, num_classes, seed):
    return (ref.logits(2 * num_images, num_classes, seed=seed),
            ref.logits(2 * num_images, num_classes, seed=seed + 1))


def _loss(recipe, **kwargs):
    return MLKDLoss(taus=recipe['taus'], strong_taus=recipe['strong'],
                    repeat_weak_taus=recipe['repeat'], **kwargs)


@pytest.mark.parametrize('num_images', [3, 4])
@pytest.mark.parametrize('num_classes', [5, 100])
@pytest.mark.parametrize('zscore', [False, True])
def test_matches_reference(num_images, num_classes, zscore):
    preds_S, preds_T = _batch(num_images, num_classes, seed=num_classes)
    recipe = ZSCORE if zscore else OFFICIAL
    loss = _loss(recipe, tau='zscore' if zscore else None,
                 loss_weight=0.9)(preds_S, preds_T)
    expected = reference_mlkd(preds_S.tolist(), preds_T.tolist(),
                              recipe['taus'], recipe['strong'],
                              recipe['repeat'], zscore, weight=0.9)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_defaults_are_the_official_cifar_values():
    loss = MODELS.build(dict(type='MLKDLoss'))
    assert (loss.taus, loss.strong_taus, loss.repeat_weak_taus, loss.tau,
            loss.loss_weight) == ((4.0, 3.0, 5.0, 2.0, 6.0), (4.0, 3.0, 5.0),
                                  (2.0, 6.0), None, 1.0)
    assert MLKDLoss.num_views == 2


def test_every_temperature_on_its_own_view():
    preds_S, preds_T = _batch(4, 10, seed=3)
    taus = (4.0, 3.0, 5.0, 2.0, 6.0)
    loss = MLKDLoss(strong_taus=taus, repeat_weak_taus=())(preds_S, preds_T)
    expected = reference_mlkd(preds_S.tolist(), preds_T.tolist(), taus, taus,
                              ())
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    # The official sum differs: the strong view at 2 and 6 reads the weak.
    assert MLKDLoss()(preds_S, preds_T).item() != pytest.approx(
        loss.item(), rel=1e-3)


@pytest.mark.parametrize('zscore', [False, True])
def test_terms_of_one_view(zscore):
    preds_S, preds_T = _batch(3, 6, seed=11)
    terms = mlkd_terms(preds_S, preds_T, tau=3.0, zscore=zscore)
    assert terms.instance.shape == (6, )
    assert terms.instance.tolist() == pytest.approx(
        instance(preds_S.tolist(), preds_T.tolist(), 3.0, zscore), rel=1e-9)
    batch, category = batch_and_class(preds_S.tolist(), preds_T.tolist(), 3.0)
    assert terms.batch.item() == pytest.approx(batch, rel=1e-9)
    assert terms.category.item() == pytest.approx(category, rel=1e-9)


def test_confidence_fractions_are_numpy_medians():
    teacher = torch.tensor([[4.0, 0.0, 0.0], [1.0, 0.0, 0.0],
                            [2.0, 0.0, 0.0], [3.0, 0.0, 0.0]],
                           dtype=torch.float64)
    samples, classes = confidence_fractions(teacher)
    # Four distinct confidences: the two below the interpolated median.
    assert samples.item() == 0.5
    # Class sums: class 0 high, classes 1 and 2 equal and at the median.
    assert classes.item() == pytest.approx(2 / 3, rel=1e-15)
    samples, _ = confidence_fractions(teacher[:3])
    assert samples.item() == pytest.approx(2 / 3, rel=1e-15)
    generator = torch.Generator().manual_seed(5)
    teacher = torch.randn(7, 9, generator=generator, dtype=torch.float64)
    probs = torch.softmax(teacher, 1).numpy()
    confidence, per_class = probs.max(1), probs.sum(0)
    expected = ((confidence <= np.percentile(confidence, 50)).mean(),
                (per_class <= np.percentile(per_class, 50)).mean())
    assert [v.item() for v in confidence_fractions(teacher)] == \
        pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize('zscore', [False, True])
def test_gradient_reaches_student_only(zscore):
    preds_S, preds_T = _batch(3, 5, seed=6)
    recipe = ZSCORE if zscore else OFFICIAL
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    _loss(recipe, tau='zscore' if zscore else None)(student,
                                                    teacher).backward()
    assert teacher.grad is None
    numeric = ref.numeric_grad(
        lambda s: reference_mlkd(s, preds_T.tolist(), recipe['taus'],
                                 recipe['strong'], recipe['repeat'], zscore),
        preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


def test_identical_predictions_give_zero():
    preds, _ = _batch(4, 10, seed=7)
    assert MLKDLoss()(preds, preds).item() == pytest.approx(0, abs=1e-12)
    assert MLKDLoss(tau='zscore')(preds, preds).item() == pytest.approx(
        0, abs=1e-12)


def test_confident_and_half_precision_logits_stay_finite():
    confident = torch.full((8, 10), -1e4)
    confident[torch.arange(8), torch.arange(8)] = 1e4
    for preds_S, preds_T in [(confident.roll(1, 1), confident),
                             (confident, confident)]:
        for dtype in (torch.float16, torch.bfloat16):
            student = preds_S.to(dtype).requires_grad_()
            loss = MLKDLoss(tau='zscore')(student, preds_T.to(dtype))
            assert loss.dtype == torch.float32
            ref.assert_finite_with_grad(loss, student)


def test_bad_inputs_are_named():
    loss = MLKDLoss()
    preds = torch.randn(4, 10)
    with pytest.raises(ValueError, match=r'weak and the strong view.*'
                       r'2 x N rows, weak first\), got 5 rows'):
        loss(torch.randn(5, 10), torch.randn(5, 10))
    with pytest.raises(ValueError, match='student predicts 10 classes and '
                       'the teacher 100'):
        loss(preds, torch.randn(4, 100))
    with pytest.raises(ValueError, match=r'preds_T must have the shape of '
                       r'preds_S \(4, 10\), got \(2, 10\)'):
        loss(preds, preds[:2])
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(4, 1\)'):
        loss(preds[:, :1], preds[:, :1])
    with pytest.raises(ValueError, match=r'taus\[1\] must be > 0, got 0'):
        MLKDLoss(taus=(4.0, 0.0))
    with pytest.raises(ValueError,
                       match=r'strong_taus\[0\] must be > 0, got -2'):
        MLKDLoss(strong_taus=(-2.0, ))
    with pytest.raises(ValueError, match='taus must be a sequence of at '
                       'least 1 temperatures > 0, got '):
        MLKDLoss(taus=())
    with pytest.raises(ValueError, match="tau must be one of 'zscore', "
                       "got 'norm'"):
        MLKDLoss(tau='norm')
    with pytest.raises(ValueError, match='loss_weight must be >= 0'):
        MLKDLoss(loss_weight=-1)
