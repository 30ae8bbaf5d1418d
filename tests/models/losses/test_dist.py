"""DISTLoss against a float64 reference written from "Knowledge
Distillation from A Stronger Teacher" (arXiv 2205.10536): one minus
Pearson's correlation between the student's and the teacher's softened
probabilities, over the classes of each sample (inter-class) and over the
samples of each class (intra-class), times tau^2. The official code adds
1e-8 to the product of the norms; the reference does too, and the paper's
equation without it is compared separately. MMRazor's DISTLoss is checked
against the same reference."""
import math

import pytest
import torch

from mmcls_kd.models.losses import DISTLoss, dist_loss
from mmcls_kd.registry import MODELS
from tests.models.losses import _reference as ref


def pearson(u, v, eps):
    mean_u, mean_v = sum(u) / len(u), sum(v) / len(v)
    du = [x - mean_u for x in u]
    dv = [x - mean_v for x in v]
    norms = math.sqrt(sum(x * x
                          for x in du)) * math.sqrt(sum(x * x for x in dv))
    return sum(x * y for x, y in zip(du, dv)) / (norms + eps)


def reference_terms(student, teacher, tau, eps=1e-8):
    """tau^2 (1 - rho) of each sample's row and of each class's column of
    the softened probabilities."""
    prob_S = [ref.softmax([v / tau for v in row]) for row in student]
    prob_T = [ref.softmax([v / tau for v in row]) for row in teacher]
    inter = [tau**2 * (1 - pearson(s, t, eps)) for s, t in zip(prob_S, prob_T)]
    columns_S, columns_T = list(zip(*prob_S)), list(zip(*prob_T))
    intra = [
        tau**2 * (1 - pearson(s, t, eps))
        for s, t in zip(columns_S, columns_T)
    ]
    return inter, intra


def reference_dist(student, teacher, tau, beta, gamma, eps=1e-8):
    inter, intra = reference_terms(student, teacher, tau, eps)
    return beta * sum(inter) / len(inter) + gamma * sum(intra) / len(intra)


def _batch(num_samples, num_classes, seed):
    return (ref.logits(num_samples, num_classes, seed=seed),
            ref.logits(num_samples, num_classes, seed=seed + 1))


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_matches_reference(num_classes, tau):
    preds_S, preds_T = _batch(6, num_classes, seed=num_classes)
    loss = DISTLoss(
        tau=tau, beta=1.5, gamma=0.5, loss_weight=2.0)(preds_S, preds_T)
    expected = reference_dist(preds_S.tolist(), preds_T.tolist(), tau, 1.5,
                              0.5)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(2.0 * expected, rel=1e-9)


def test_the_official_epsilon_barely_moves_the_paper_equation():
    preds_S, preds_T = _batch(8, 100, seed=3)
    loss = DISTLoss(tau=4.0)(preds_S, preds_T)
    paper = reference_dist(
        preds_S.tolist(), preds_T.tolist(), 4.0, 1.0, 1.0, eps=0.0)
    assert loss.item() == pytest.approx(paper, rel=1e-5)
    assert loss.item() != pytest.approx(paper, rel=1e-12)


def test_dist_loss_terms_and_the_module_reduction():
    preds_S, preds_T = _batch(6, 10, seed=20)
    terms = dist_loss(preds_S, preds_T, tau=4.0)
    assert terms.inter.shape == (6, ) and terms.intra.shape == (10, )
    inter, intra = reference_terms(preds_S.tolist(), preds_T.tolist(), 4.0)
    assert terms.inter.tolist() == pytest.approx(inter, rel=1e-9)
    assert terms.intra.tolist() == pytest.approx(intra, rel=1e-9)
    module = DISTLoss(tau=4.0, beta=1.5, gamma=0.5, loss_weight=2.0)
    expected = (1.5 * terms.inter.mean() + 0.5 * terms.intra.mean()) * 2.0
    assert torch.equal(module(preds_S, preds_T), expected)


def test_mmrazor_dist_matches_the_reference_in_float64():
    from mmrazor.models.losses import DISTLoss as RazorDISTLoss
    preds_S, preds_T = _batch(6, 100, seed=4)
    razor = RazorDISTLoss(
        inter_loss_weight=1.5, intra_loss_weight=0.5, tau=4.0,
        loss_weight=2.0)(preds_S, preds_T)
    expected = reference_dist(preds_S.tolist(), preds_T.tolist(), 4.0, 1.5,
                              0.5)
    assert razor.item() == pytest.approx(2.0 * expected, rel=1e-9)


def _confident(num_samples, num_classes):
    """Fully confident logits: every class but the predicted ones gets
    probability 0 in every row."""
    logits = torch.full((num_samples, num_classes), -1e4)
    logits[torch.arange(num_samples), torch.arange(num_samples)] = 1e4
    return logits


def test_mmrazor_dist_is_nan_in_float16_where_ours_is_not():
    from mmrazor.models.losses import DISTLoss as RazorDISTLoss
    preds_T = _confident(4, 10)
    preds_S = preds_T.roll(1, dims=1)
    razor = RazorDISTLoss(tau=1.0)(preds_S.half(), preds_T.half())
    # Its 1e-8 rounds to 0 in float16: 0 / 0 for the classes nobody
    # predicts.
    assert razor.dtype == torch.float16 and torch.isnan(razor)
    student = preds_S.half().requires_grad_()
    ours = DISTLoss()(student, preds_T.half())
    ref.assert_finite_with_grad(ours, student)
    assert ours.dtype == torch.float32
    assert ours.item() == pytest.approx(
        DISTLoss()(preds_S, preds_T).item(), rel=1e-6)


def test_mmrazor_dist_broadcasts_a_one_row_student():
    from mmrazor.models.losses import DISTLoss as RazorDISTLoss
    preds_S, preds_T = _batch(4, 10, seed=5)
    assert torch.isfinite(RazorDISTLoss()(preds_S[:1], preds_T))
    with pytest.raises(
            ValueError,
            match=r'preds_T must have the shape of '
            r'preds_S \(1, 10\), got \(4, 10\)'):
        DISTLoss()(preds_S[:1], preds_T)


def test_gradient_reaches_student_only():
    preds_S, preds_T = _batch(3, 5, seed=6)
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    DISTLoss(tau=2.0, beta=1.0, gamma=2.0)(student, teacher).backward()
    assert teacher.grad is None
    numeric = ref.numeric_grad(
        lambda s: reference_dist(s, preds_T.tolist(), 2.0, 1.0, 2.0), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-8)


def test_identical_predictions_and_a_single_sample():
    preds, _ = _batch(4, 10, seed=7)
    # 0 in the paper's equation; the official 1e-8 leaves a trace.
    same = DISTLoss(tau=4.0)(preds, preds).item()
    paper = reference_dist(
        preds.tolist(), preds.tolist(), 4.0, 1.0, 1.0, eps=0.0)
    assert paper == pytest.approx(0, abs=1e-12)
    assert same == pytest.approx(
        reference_dist(preds.tolist(), preds.tolist(), 4.0, 1.0, 1.0),
        rel=1e-6)
    assert 0 < same < 1e-4
    # One sample: its columns are constant, correlate 0 and give gamma *
    # tau^2 whatever the student predicts (as in the official code).
    student = preds[:1].clone().requires_grad_()
    terms = dist_loss(student, preds[:1], tau=2.0)
    assert terms.intra.tolist() == pytest.approx([4.0] * 10, rel=1e-12)
    ref.assert_finite_with_grad(
        DISTLoss(tau=2.0)(student, preds[1:2]), student)


def test_huge_logits_and_bfloat16_stay_finite():
    huge = ref.logits(4, 10, seed=8).float() * 1e4
    confident = _confident(4, 10)
    for preds_S, preds_T in [(huge, huge.flip(1)), (confident, confident),
                             (confident.roll(1, 1), confident)]:
        student = preds_S.clone().requires_grad_()
        ref.assert_finite_with_grad(
            DISTLoss(tau=4.0)(student, preds_T), student)

    features, (head_S, head_T) = ref.autocast_heads(10, 2, seed=9)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = DISTLoss(tau=4.0)(head_S(features), head_T(features))
    assert loss.dtype == torch.float32
    ref.assert_finite_with_grad(loss)
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_defaults_registry_and_bad_inputs():
    loss_fn = MODELS.build(dict(type='DISTLoss'))
    assert isinstance(loss_fn, DISTLoss)
    assert (loss_fn.tau, loss_fn.beta, loss_fn.gamma,
            loss_fn.loss_weight) == (1.0, 1.0, 1.0, 1.0)
    preds = torch.randn(4, 10)
    with pytest.raises(
            ValueError,
            match=r'student predicts 10 classes and '
            r'the teacher 100'):
        loss_fn(preds, torch.randn(4, 100))
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(4, 10, 1\)'):
        loss_fn(preds[..., None], preds[..., None])
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(4, 1\)'):
        loss_fn(preds[:, :1], preds[:, :1])
    with pytest.raises(ValueError, match='tau must be > 0, got 0'):
        DISTLoss(tau=0)
