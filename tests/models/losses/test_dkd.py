"""DKDLoss against a float64 reference written from Eq. 7 of "Decoupled
Knowledge Distillation" (arXiv 2203.08679) and the official code's tau^2
factors (with tau='zscore': on logits z-scored as logit standardisation's
code does, arXiv 2403.01427); and MMRazor's DKDLoss, which returns the
batch sum."""
import math

import pytest
import torch

from mmcls_kd.models.losses import DKDLoss, dkd_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def reference_dkd_rows(student,
                       teacher,
                       labels,
                       tau,
                       alpha,
                       beta,
                       t_norm=None):
    """The loss of each sample; ``t_norm`` given: NormKD's per-sample
    temperatures, weight T_t^2."""
    num_classes = len(student[0])
    rows = []
    for row_S, row_T, label in zip(student, teacher, labels):
        t = ref.target_of(label, num_classes)
        if t_norm is None:
            temp_S = temp_T = tau
        else:
            temp_S = t_norm * ref.std(row_S)
            temp_T = t_norm * ref.std(row_T)
        prob_S = ref.softmax([v / temp_S for v in row_S])
        prob_T = ref.softmax([v / temp_T for v in row_T])
        rest_S = sum(p for k, p in enumerate(prob_S) if k != t)
        rest_T = sum(p for k, p in enumerate(prob_T) if k != t)
        tckd = ref.kl([prob_T[t], rest_T],
                      [math.log(prob_S[t]), math.log(rest_S)])
        others = [k for k in range(num_classes) if k != t]
        nckd = ref.kl(ref.softmax([row_T[k] / temp_T for k in others]),
                      ref.log_softmax([row_S[k] / temp_S for k in others]))
        rows.append(temp_T**2 * (alpha * tckd + beta * nckd))
    return rows


def reference_dkd(student,
                  teacher,
                  labels,
                  tau,
                  alpha,
                  beta,
                  loss_weight=1.0,
                  t_norm=None):
    rows = reference_dkd_rows(student, teacher, labels, tau, alpha, beta,
                              t_norm)
    return sum(rows) / len(rows) * loss_weight


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tau', [1.0, 4.0, 'norm'])
@pytest.mark.parametrize('soft', [False, True])
def test_matches_reference(num_classes, tau, soft):
    seed = num_classes + len(str(tau))
    preds_S = ref.logits(6, num_classes, seed=seed)
    preds_T = ref.logits(6, num_classes, seed=seed + 1)
    gt_labels = ref.labels(6, num_classes, seed=seed + 2, soft=soft)
    loss = DKDLoss(tau=tau, alpha=0.5, beta=8.0, t_norm=1.5,
                   loss_weight=0.7)(preds_S, preds_T, gt_labels)
    expected = reference_dkd(
        preds_S.tolist(), preds_T.tolist(), gt_labels.tolist(),
        None if tau == 'norm' else tau, 0.5, 8.0, 0.7,
        t_norm=1.5 if tau == 'norm' else None)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize('tau', [4.0, 'norm'])
@pytest.mark.parametrize('soft', [False, True])
def test_dkd_loss_per_sample_and_the_module_mean(tau, soft):
    preds_S = ref.logits(6, 10, seed=30)
    preds_T = ref.logits(6, 10, seed=31)
    gt_labels = ref.labels(6, 10, seed=32, soft=soft)
    per_sample = dkd_loss(
        preds_S, preds_T, gt_labels, tau=tau, alpha=0.5, beta=8.0, t_norm=1.5)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_dkd_rows(
            preds_S.tolist(),
            preds_T.tolist(),
            gt_labels.tolist(),
            None if tau == 'norm' else tau,
            0.5,
            8.0,
            t_norm=1.5 if tau == 'norm' else None),
        rel=1e-9)
    loss_fn = DKDLoss(
        tau=tau,
        alpha=0.5,
        beta=8.0,
        warmup_epochs=4,
        t_norm=1.5,
        loss_weight=0.7)
    loss_fn.warmup_factor = 0.25
    module = loss_fn(preds_S, preds_T, gt_labels)
    assert torch.equal(module, per_sample.mean() * (0.25 * 0.7))


@pytest.mark.parametrize('soft', [False, True])
def test_logit_standardisation_matches_reference(soft):
    """DKD on logits z-scored over all classes and divided by the base
    temperature, both terms weighted by base^2 (the official code's
    ``dkd_loss`` with ``logit_stand``)."""
    preds_S = ref.logits(6, 10, seed=60)
    preds_T = ref.logits(6, 10, seed=61) * 4
    gt_labels = ref.labels(6, 10, seed=62, soft=soft)
    per_sample = dkd_loss(
        preds_S,
        preds_T,
        gt_labels,
        tau='zscore',
        alpha=9.0,
        beta=72.0,
        t_norm=2.0)
    expected = reference_dkd_rows(
        [ref.zscore(row) for row in preds_S.tolist()],
        [ref.zscore(row)
         for row in preds_T.tolist()], gt_labels.tolist(), 2.0, 9.0, 72.0)
    assert per_sample.tolist() == pytest.approx(expected, rel=1e-9)
    loss_fn = DKDLoss(
        tau='zscore', alpha=9.0, beta=72.0, t_norm=2.0, loss_weight=0.5)
    assert torch.equal(
        loss_fn(preds_S, preds_T, gt_labels),
        per_sample.mean() * 0.5)


def test_float32_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='DKDLoss', tau=4.0))
    assert isinstance(loss_fn, DKDLoss)
    assert (loss_fn.alpha, loss_fn.beta, loss_fn.warmup_epochs,
            loss_fn.warmup_factor) == (1.0, 8.0, 0, 1.0)
    preds_S = ref.logits(5, 100, seed=1).float()
    preds_T = ref.logits(5, 100, seed=2).float()
    gt_labels = ref.labels(5, 100, seed=3, soft=False)
    loss = loss_fn(preds_S, preds_T, gt_labels)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        reference_dkd(preds_S.tolist(), preds_T.tolist(), gt_labels.tolist(),
                      4.0, 1.0, 8.0), rel=1e-5)


@pytest.mark.parametrize('batch', [1, 8, 32])
def test_mmrazor_dkd_ignores_its_reduction(batch):
    from mmrazor.models.losses import DKDLoss as RazorDKDLoss
    preds_S = ref.logits(batch, 10, seed=batch).float()
    preds_T = ref.logits(batch, 10, seed=batch + 1).float()
    gt_labels = ref.labels(batch, 10, seed=batch + 2, soft=False)
    ours = DKDLoss(tau=4.0, alpha=1.0, beta=8.0)(preds_S, preds_T, gt_labels)

    def razor(reduction):
        return RazorDKDLoss(tau=4.0, alpha=1.0, beta=8.0,
                            reduction=reduction)(preds_S, preds_T, gt_labels)

    # size_average=False turns every reduction into a sum; F.kl_div divides
    # that by N afterwards only for 'batchmean', the default.
    assert razor('batchmean').item() == pytest.approx(ours.item(), rel=1e-4)
    for reduction in ('mean', 'none', 'sum'):
        value = razor(reduction)
        assert value.dim() == 0
        assert value.item() == pytest.approx(batch * ours.item(), rel=1e-4)


def test_mmrazor_dkd_overflows_where_ours_does_not():
    from mmrazor.models.losses import DKDLoss as RazorDKDLoss
    preds_S = ref.logits(4, 10, seed=9).float()
    preds_T = ref.logits(4, 10, seed=10).float()
    gt_labels = torch.tensor([0, 1, 2, 3])
    preds_S[torch.arange(4), gt_labels] += 200
    assert torch.isinf(RazorDKDLoss()(preds_S, preds_T, gt_labels))
    ours = DKDLoss(tau=1.0, beta=1.0)(preds_S, preds_T, gt_labels)
    expected = reference_dkd(preds_S.double().tolist(),
                             preds_T.double().tolist(), [0, 1, 2, 3], 1.0,
                             1.0, 1.0)
    assert ours.item() == pytest.approx(expected, rel=1e-5)


def test_gradient_reaches_student_only():
    preds_S = ref.logits(2, 5, seed=4)
    preds_T = ref.logits(2, 5, seed=5)
    gt_labels = torch.tensor([0, 3])
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    DKDLoss(tau=2.0, beta=3.0)(student, teacher, gt_labels).backward()
    assert teacher.grad is None
    numeric = ref.numeric_grad(
        lambda s: reference_dkd(s, preds_T.tolist(), [0, 3], 2.0, 1.0, 3.0),
        preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize('tau', [1.0, 'norm', 'zscore'])
def test_huge_logits_and_bfloat16_stay_finite(tau):
    gt_labels = torch.tensor([0, 1, 2, 3])
    # Certain students and teachers, right and wrong: p_t rounds to 1 or 0.
    huge = ref.logits(4, 10, seed=6).float() * 1e4
    confident = huge.clone()
    confident[torch.arange(4), gt_labels] = 3e4
    for preds_S, preds_T in [(huge, huge.flip(1)), (confident, huge),
                             (huge, confident)]:
        student = preds_S.clone().requires_grad_()
        ref.assert_finite_with_grad(
            DKDLoss(tau=tau)(student, preds_T, gt_labels), student)

    features, (head_S, head_T) = ref.autocast_heads(10, 2, seed=7)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = DKDLoss(tau=tau)(head_S(features), head_T(features), gt_labels)
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_rejects_bad_inputs():
    loss_fn = DKDLoss()
    preds = torch.randn(4, 10)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r'student predicts 10 classes and '
                       r'the teacher 100'):
        loss_fn(preds, torch.randn(4, 100), labels)
    with pytest.raises(ValueError, match=r'\[0, 10\).*\(4, 10\)'):
        loss_fn(preds, preds, torch.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=r'\(4,\).*\(4, 10\).*got \(3,\)'):
        loss_fn(preds, preds, labels[:3])
    ref.soft_row_error(lambda bad: loss_fn(preds, preds, bad))
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(4, 1\)'):
        loss_fn(preds[:, :1], preds[:, :1], torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match='warmup_epochs'):
        DKDLoss(warmup_epochs=-1)
    with pytest.raises(ValueError, match='tau must be > 0'):
        DKDLoss(tau=-1.0)
