"""Tests of NKDLoss against a float64 reference written from Eq. 4 of
"From Knowledge Distillation to Self-Knowledge Distillation" (arXiv
2303.13005)."""
import math

import pytest
import torch

from mmcls_kd.models.losses import NKDLoss, nkd_loss
from mmcls_kd.registry import MODELS


def _log_softmax(values):
    top = max(values)
    log_total = top + math.log(sum(math.exp(v - top) for v in values))
    return [v - log_total for v in values]


def _target_class(label, num_classes):
    if isinstance(label, int):
        return label
    # The first of the largest scores.
    return max(range(num_classes), key=lambda i: (label[i], -i))


def reference_nkd_rows(student,
                       teacher,
                       labels,
                       tau=1.0,
                       gamma=1.5,
                       non_target='normalized'):
    """Eq. 4 with loops, on nested lists of logits: the loss of each
    sample."""
    num_classes = len(student[0])
    rows = []
    for row_S, row_T, label in zip(student, teacher, labels):
        t = _target_class(label, num_classes)
        log_S = _log_softmax(row_S)
        prob_T = [math.exp(v) for v in _log_softmax(row_T)]
        loss = -prob_T[t] * log_S[t]
        others = [i for i in range(num_classes) if i != t]
        if non_target == 'normalized':
            log_NS = _log_softmax([row_S[i] / tau for i in others])
            log_NT = _log_softmax([row_T[i] / tau for i in others])
            term = -sum(
                math.exp(log_NT[k]) * log_NS[k] for k in range(len(others)))
            loss += gamma * tau**2 * term
        elif non_target == 'kd':
            log_S_tau = _log_softmax([v / tau for v in row_S])
            log_T_tau = _log_softmax([v / tau for v in row_T])
            term = -sum(math.exp(log_T_tau[i]) * log_S_tau[i] for i in others)
            loss += gamma * tau**2 * term
        rows.append(loss)
    return rows


def reference_nkd(student,
                  teacher,
                  labels,
                  tau=1.0,
                  gamma=1.5,
                  non_target='normalized',
                  loss_weight=1.0):
    rows = reference_nkd_rows(student, teacher, labels, tau, gamma, non_target)
    return sum(rows) / len(rows) * loss_weight


def _mixed_labels(num_samples, num_classes, generator):
    """Mixup-like scores: two classes mixed, and some one-class rows."""
    first = torch.randint(num_classes, (num_samples, ), generator=generator)
    second = torch.randint(num_classes, (num_samples, ), generator=generator)
    lam = torch.rand(num_samples, generator=generator, dtype=torch.float64)
    lam[::3] = 1.0
    scores = torch.zeros(num_samples, num_classes, dtype=torch.float64)
    rows = torch.arange(num_samples)
    scores[rows, first] += lam
    scores[rows, second] += 1 - lam
    return scores


@pytest.mark.parametrize('non_target', ['normalized', 'kd', 'none'])
@pytest.mark.parametrize('num_classes', [10, 100, 1000])
@pytest.mark.parametrize('tau', [1.0, 3.0])
@pytest.mark.parametrize('soft', [False, True])
def test_matches_reference(non_target, num_classes, tau, soft):
    generator = torch.Generator().manual_seed(num_classes + int(tau))
    num_samples = 6
    preds_S = torch.randn(num_samples, num_classes, generator=generator,
                          dtype=torch.float64) * 3
    preds_T = torch.randn(num_samples, num_classes, generator=generator,
                          dtype=torch.float64) * 3
    if soft:
        gt_labels = _mixed_labels(num_samples, num_classes, generator)
    else:
        gt_labels = torch.randint(num_classes, (num_samples, ),
                                  generator=generator)
    loss_fn = NKDLoss(tau=tau, gamma=2.5, non_target=non_target,
                      loss_weight=0.7)
    loss = loss_fn(preds_S, preds_T, gt_labels)
    expected = reference_nkd(preds_S.tolist(), preds_T.tolist(),
                             gt_labels.tolist(), tau, 2.5,
                             non_target, 0.7)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize('non_target', ['normalized', 'kd', 'none'])
@pytest.mark.parametrize('soft', [False, True])
def test_nkd_loss_per_sample_and_the_module_mean(non_target, soft):
    generator = torch.Generator().manual_seed(30)
    preds_S = torch.randn(6, 10, generator=generator, dtype=torch.float64) * 3
    preds_T = torch.randn(6, 10, generator=generator, dtype=torch.float64) * 3
    if soft:
        gt_labels = _mixed_labels(6, 10, generator)
    else:
        gt_labels = torch.randint(10, (6, ), generator=generator)
    options = dict(tau=3.0, gamma=2.5, non_target=non_target)
    per_sample = nkd_loss(preds_S, preds_T, gt_labels, **options)
    assert per_sample.shape == (6, )
    assert per_sample.tolist() == pytest.approx(
        reference_nkd_rows(preds_S.tolist(), preds_T.tolist(),
                           gt_labels.tolist(), **options),
        rel=1e-9)
    module = NKDLoss(**options, loss_weight=0.7)(preds_S, preds_T, gt_labels)
    assert torch.equal(module, 0.7 * per_sample.mean())


def test_float32_matches_reference():
    generator = torch.Generator().manual_seed(0)
    preds_S = torch.randn(5, 100, generator=generator) * 4
    preds_T = torch.randn(5, 100, generator=generator) * 4
    gt_labels = torch.randint(100, (5, ), generator=generator)
    loss = NKDLoss(tau=2.0)(preds_S, preds_T, gt_labels)
    expected = reference_nkd(preds_S.tolist(), preds_T.tolist(),
                             gt_labels.tolist(), tau=2.0)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='NKDLoss'))
    assert isinstance(loss_fn, NKDLoss)
    assert (loss_fn.tau, loss_fn.gamma, loss_fn.non_target,
            loss_fn.loss_weight) == (1.0, 1.5, 'normalized', 1.0)


def test_gradient_matches_finite_differences_and_teacher_detached():
    generator = torch.Generator().manual_seed(1)
    preds_S = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    preds_T = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    gt_labels = torch.tensor([0, 5, 2])
    student = preds_S.clone().requires_grad_()
    teacher = preds_T.clone().requires_grad_()
    NKDLoss(tau=2.0, gamma=1.5)(student, teacher, gt_labels).backward()
    assert teacher.grad is None

    eps = 1e-6
    numeric = torch.zeros_like(preds_S)
    for n in range(3):
        for i in range(6):
            values = []
            for step in (eps, -eps):
                shifted = preds_S.clone()
                shifted[n, i] += step
                values.append(
                    reference_nkd(shifted.tolist(), preds_T.tolist(),
                                  gt_labels.tolist(), tau=2.0))
            numeric[n, i] = (values[0] - values[1]) / (2 * eps)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-7)


def _finite_loss_and_grad(preds_S, preds_T, gt_labels, **kwargs):
    preds_S = preds_S.detach().requires_grad_()
    loss = NKDLoss(**kwargs)(preds_S, preds_T, gt_labels)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(preds_S.grad).all()
    return loss


@pytest.mark.parametrize('non_target', ['normalized', 'kd', 'none'])
def test_extreme_logits_stay_finite(non_target):
    generator = torch.Generator().manual_seed(2)
    gt_labels = torch.tensor([0, 1, 2, 3])
    preds_T = torch.randn(4, 10, generator=generator)
    confident = torch.randn(4, 10, generator=generator)
    confident[torch.arange(4), gt_labels] += 1e4
    _finite_loss_and_grad(confident, confident, gt_labels, tau=3.0,
                          non_target=non_target)
    wrong = torch.randn(4, 10, generator=generator)
    wrong[:, 9] += 1e4
    _finite_loss_and_grad(wrong, preds_T, gt_labels, non_target=non_target)
    huge = torch.randn(4, 10, generator=generator) * 1e4
    _finite_loss_and_grad(huge, huge.flip(1), gt_labels,
                          non_target=non_target)
    _finite_loss_and_grad(huge[:1], preds_T[:1], gt_labels[:1],
                          non_target=non_target)
    for tau in ('norm', 'zscore'):
        _finite_loss_and_grad(
            confident, huge, gt_labels, tau=tau, non_target=non_target)


def test_half_precision_inputs_are_upcast():
    generator = torch.Generator().manual_seed(3)
    preds_S = (torch.randn(4, 100, generator=generator) * 5).half()
    preds_T = (torch.randn(4, 100, generator=generator) * 5).half()
    gt_labels = torch.randint(100, (4, ), generator=generator)
    student = preds_S.clone().requires_grad_()
    loss = NKDLoss(tau=2.0)(student, preds_T, gt_labels)
    loss.backward()
    assert loss.dtype == torch.float32
    assert student.grad.dtype == torch.float16
    assert torch.isfinite(student.grad).all()
    expected = reference_nkd(preds_S.double().tolist(),
                             preds_T.double().tolist(), gt_labels.tolist(),
                             tau=2.0)
    # Half-precision arithmetic would be off by about 1e-3.
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_bfloat16_autocast():
    generator = torch.Generator().manual_seed(4)
    features = torch.randn(4, 16, generator=generator)
    head_S = torch.nn.Linear(16, 10)
    head_T = torch.nn.Linear(16, 10)
    gt_labels = torch.tensor([1, 2, 3, 4])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        preds_S = head_S(features)
        preds_T = head_T(features)
        assert preds_S.dtype == torch.bfloat16
        loss = NKDLoss()(preds_S, preds_T, gt_labels)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert torch.isfinite(head_S.weight.grad).all()
    assert head_S.weight.grad.abs().sum() > 0
    assert head_T.weight.grad is None


def test_ties_are_deterministic():
    preds = torch.zeros(3, 10)
    gt_labels = torch.tensor([[0.5, 0.5] + [0.0] * 8] * 3)
    loss_fn = NKDLoss(tau=2.0)
    first = loss_fn(preds, preds, gt_labels)
    second = loss_fn(preds, preds, gt_labels)
    assert torch.equal(first, second)
    # Uniform teacher and student: -(1/C) log(1/C) + gamma tau^2 log(C-1).
    expected = math.log(10) / 10 + 1.5 * 4 * math.log(9)
    assert first.item() == pytest.approx(expected, rel=1e-6)


def test_rejects_bad_inputs():
    loss_fn = NKDLoss()
    preds = torch.randn(4, 10)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r'preds_T must have the shape of '
                       r'preds_S \(4, 10\), got \(4, 12\)'):
        loss_fn(preds, torch.randn(4, 12), labels)
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(4, 10, 1\)'):
        loss_fn(preds[..., None], preds[..., None], labels)
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(10,\)'):
        loss_fn(preds[0], preds[0], labels)
    with pytest.raises(ValueError, match=r'\[0, 10\).*\(4, 10\)'):
        loss_fn(preds, preds, torch.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        loss_fn(preds, preds, torch.tensor([0, -1, 2, 3]))
    with pytest.raises(ValueError, match=r'\(4,\).*\(4, 10\).*got \(3,\)'):
        loss_fn(preds, preds, labels[:3])
    with pytest.raises(ValueError, match=r'integer class indices'):
        loss_fn(preds, preds, labels.float())
    with pytest.raises(ValueError, match=r'summing to 1.*\(4, 10\)|'
                       r'\(4, 10\).*summing to 1'):
        loss_fn(preds, preds, torch.full((4, 10), 0.2))
    negative = torch.zeros(4, 10)
    negative[:, 0] = 1.5
    negative[:, 1] = -0.5
    with pytest.raises(ValueError, match=r'non-negative'):
        loss_fn(preds, preds, negative)
    with pytest.raises(ValueError, match=r"non_target must be one of "
                       r"'normalized', 'kd', 'none', got 'norm'"):
        NKDLoss(non_target='norm')
    with pytest.raises(ValueError, match=r'tau'):
        NKDLoss(tau=0.0)


def test_normkd_temperatures_golden():
    """tau='norm': per-sample temperatures t_norm * std(z) for teacher and
    student, the non-target term weighted by the teacher's T^2 (NormKD)."""
    import math

    import torch

    from mmcls_kd.models.losses import NKDLoss
    torch.manual_seed(3)
    student = torch.randn(4, 6, dtype=torch.float64)
    teacher = torch.randn(4, 6, dtype=torch.float64) * 3
    labels = torch.tensor([0, 5, 2, 2])
    got = NKDLoss(tau='norm', gamma=1.5, t_norm=1.5)(student, teacher, labels)

    def softmax(values):
        top = max(values)
        exps = [math.exp(v - top) for v in values]
        return [e / sum(exps) for e in exps]

    def std(values):
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean)**2 for v in values) /
                         (len(values) - 1))

    total = 0.0
    for n in range(4):
        s, t, y = student[n].tolist(), teacher[n].tolist(), int(labels[n])
        loss = -softmax(t)[y] * math.log(softmax(s)[y])
        t_s, t_t = 1.5 * std(s), 1.5 * std(t)
        rest = [i for i in range(6) if i != y]
        p_t = softmax([t[i] / t_t for i in rest])
        p_s = softmax([s[i] / t_s for i in rest])
        loss -= 1.5 * t_t**2 * sum(a * math.log(b) for a, b in zip(p_t, p_s))
        total += loss
    assert float(got) == pytest.approx(total / 4, rel=1e-10)
    with pytest.raises(ValueError, match='tau'):
        NKDLoss(tau='auto')


@pytest.mark.parametrize('soft', [False, True])
def test_logit_standardisation_golden(soft):
    """tau='zscore': the non-target term on logits z-scored per sample
    (logit standardisation, arXiv 2403.01427) at the base temperature,
    weighted by gamma * base^2; the target term on the raw logits."""
    from tests.models.losses import _reference as ref
    preds_S = ref.logits(5, 8, seed=70)
    preds_T = ref.logits(5, 8, seed=71) * 3
    gt_labels = ref.labels(5, 8, seed=72, soft=soft)
    per_sample = nkd_loss(
        preds_S, preds_T, gt_labels, tau='zscore', gamma=1.5, t_norm=2.0)
    expected = []
    for s, t, label in zip(preds_S.tolist(), preds_T.tolist(),
                           gt_labels.tolist()):
        y = ref.target_of(label, 8)
        loss = -ref.softmax(t)[y] * ref.log_softmax(s)[y]
        rest = [i for i in range(8) if i != y]
        z_s, z_t = ref.zscore(s, 2.0), ref.zscore(t, 2.0)
        p_t = ref.softmax([z_t[i] for i in rest])
        log_p_s = ref.log_softmax([z_s[i] for i in rest])
        loss -= 1.5 * 2.0**2 * sum(a * b for a, b in zip(p_t, log_p_s))
        expected.append(loss)
    assert per_sample.tolist() == pytest.approx(expected, rel=1e-9)
    module = NKDLoss(tau='zscore', gamma=1.5, t_norm=2.0, loss_weight=0.5)
    assert torch.equal(
        module(preds_S, preds_T, gt_labels), 0.5 * per_sample.mean())
    with pytest.raises(ValueError, match=r'at least 2 classes.*\(5, 1\)'):
        module(preds_S[:, :1], preds_T[:, :1], torch.zeros(5, dtype=int))
