"""Tests of USKDLoss against the float64 reference of ``_uskd_reference``,
written from Eqs. 6-12 of "From Knowledge Distillation to Self-Knowledge
Distillation" (arXiv 2303.13005) and Table 8."""
import os

import pytest
import torch

from mmcls_kd.models.losses import USKDLoss, uskd_loss
from mmcls_kd.registry import MODELS
from tests.models.losses._uskd_reference import (
    RANKS, TARGETS, reference_detached, reference_loss, reference_loss_rows,
    reference_uskd, sample_inputs, target_slots)


def _check(cfg, preds_S, preds_W, gt_labels):
    loss = USKDLoss(**cfg)(
        preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
    weak = None if preds_W is None else preds_W.tolist()
    expected = reference_uskd(preds_S.tolist(), weak,
                              gt_labels.tolist(), **cfg)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9, abs=1e-9)
    return loss


@pytest.mark.parametrize('target', TARGETS)
@pytest.mark.parametrize('num_classes', [10, 100, 1000])
@pytest.mark.parametrize('labels', ['hard', 'mixed'])
def test_targets_match_reference(target, num_classes, labels):
    inputs = sample_inputs(8, num_classes, num_classes, labels)
    _check(dict(target=target, alpha=0.7, beta=0.3, mu=0.2), *inputs)


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
@pytest.mark.parametrize('cfg', [
    dict(alpha=0.7, beta=0.3, mu=0.2),
    dict(target='linear', rank='sum', rank_space='log_prob'),
    dict(target='softmax', non_target='none'),
    dict(target='none', rank='weak', label_smoothing=0.25)
])
def test_uskd_loss_per_sample_and_the_module_mean(labels, cfg):
    preds_S, preds_W, gt_labels = sample_inputs(8, 20, 21, labels)
    per_sample = uskd_loss(preds_S, gt_labels, preds_W, **cfg)
    assert per_sample.shape == (8, )
    weak = None if cfg.get('non_target') == 'none' else preds_W.tolist()
    soft_target, zipf = reference_detached(preds_S.tolist(), weak,
                                           gt_labels.tolist(), **cfg)
    expected = reference_loss_rows(preds_S.tolist(), weak, gt_labels.tolist(),
                                   soft_target, zipf, **cfg)
    assert per_sample.tolist() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    module = USKDLoss(**cfg, loss_weight=1.5)(preds_S, gt_labels, preds_W)
    assert torch.equal(module, 1.5 * per_sample.mean())


def test_uskd_loss_needs_weak_logits_for_the_zipf_term():
    preds_S, _, gt_labels = sample_inputs(4, 10, 22)
    with pytest.raises(ValueError, match="non_target='zipf' needs preds_W"):
        uskd_loss(preds_S, gt_labels)
    assert uskd_loss(preds_S, gt_labels, non_target='none').shape == (4, )


@pytest.mark.parametrize('rank', RANKS)
@pytest.mark.parametrize('rank_space', ['prob', 'log_prob'])
@pytest.mark.parametrize('labels', ['hard', 'mixed'])
def test_ranks_match_reference(rank, rank_space, labels):
    # beta alone makes the rank's effect visible, not drowned by the rest.
    cfg = dict(rank=rank, rank_space=rank_space, alpha=0.0, beta=1.0,
               mu=0.0)
    _check(cfg, *sample_inputs(10, 100, 5, labels))


@pytest.mark.parametrize('target', TARGETS)
def test_rows_with_one_target_only(target):
    # Every row has a single non-zero score: no second slot at all, and the
    # result is the one of class indices.
    preds_S, preds_W, gt_labels = sample_inputs(6, 10, 7, 'one-hot')
    cfg = dict(target=target, beta=0.5, mu=0.1)
    soft_loss = _check(cfg, preds_S, preds_W, gt_labels)
    hard_loss = USKDLoss(**cfg)(
        preds_S=preds_S, gt_labels=gt_labels.argmax(1), preds_W=preds_W)
    torch.testing.assert_close(soft_loss, hard_loss, rtol=1e-12, atol=0)


@pytest.mark.parametrize('target', TARGETS)
def test_empty_second_slot_is_not_a_target(target):
    # Rows 1 and 2 have one non-zero score each, one very likely and one
    # very unlikely. Were their empty second slots counted, the second
    # slot's batch statistics, and so row 0's P, would change; were they
    # removed from the non-target set, so would N(S) and N(Z).
    preds_S, preds_W, _ = sample_inputs(3, 10, 8)
    gt_labels = torch.zeros(3, 10, dtype=torch.float64)
    gt_labels[0, 3], gt_labels[0, 6] = 0.7, 0.3
    gt_labels[1, 4] = 1.0
    gt_labels[2, 5] = 1.0
    preds_S[1, 4] += 8.0
    preds_S[2, 5] -= 8.0
    _check(dict(target=target, beta=1.0), preds_S, preds_W, gt_labels)
    # Row 1's loss alone equals the one of its hard label.
    alone = USKDLoss(target=target)(
        preds_S=preds_S[1:2], gt_labels=gt_labels[1:2], preds_W=preds_W[1:2])
    hard = USKDLoss(target=target)(
        preds_S=preds_S[1:2],
        gt_labels=torch.tensor([4]),
        preds_W=preds_W[1:2])
    torch.testing.assert_close(alone, hard, rtol=1e-12, atol=0)


@pytest.mark.parametrize('zipf_exponent', [0.5, 2.0])
@pytest.mark.parametrize('label_smoothing', [0.0, 0.25])
def test_zipf_exponent_and_label_smoothing(zipf_exponent, label_smoothing):
    cfg = dict(zipf_exponent=zipf_exponent, label_smoothing=label_smoothing,
               alpha=0.4, beta=2.0, mu=0.5, loss_weight=1.5)
    preds_S, preds_W, gt_labels = sample_inputs(8, 100, 9, 'mixed')
    loss = USKDLoss(**cfg)(
        preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
    expected = reference_uskd(preds_S.tolist(), preds_W.tolist(),
                              gt_labels.tolist(), **cfg) * 1.5
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_target_only_without_weak_logits():
    preds_S, _, gt_labels = sample_inputs(8, 100, 10, 'mixed')
    cfg = dict(non_target='none', alpha=0.6)
    _check(cfg, preds_S, None, gt_labels)
    with pytest.raises(ValueError, match=r"preds_W .*\(8, 100\).*got None"):
        USKDLoss()(preds_S=preds_S, gt_labels=gt_labels, preds_W=None)


def test_defaults_and_registry():
    loss_fn = MODELS.build(dict(type='USKDLoss'))
    assert isinstance(loss_fn, USKDLoss)
    assert (loss_fn.alpha, loss_fn.beta, loss_fn.mu, loss_fn.target,
            loss_fn.non_target, loss_fn.rank, loss_fn.rank_space,
            loss_fn.zipf_exponent, loss_fn.label_smoothing,
            loss_fn.batch_stats) == (1.0, 0.1, 0.005, 'square', 'zipf',
                                     'normalized', 'prob', 1.0, 0.1, 'local')
    _check({}, *sample_inputs(8, 1000, 11, 'mixed'))


def test_float32_matches_reference():
    preds_S, preds_W, gt_labels = sample_inputs(6, 100, 12, 'mixed')
    loss = USKDLoss(beta=1.0)(
        preds_S=preds_S.float(),
        gt_labels=gt_labels.float(),
        preds_W=preds_W.float())
    expected = reference_uskd(preds_S.float().double().tolist(),
                              preds_W.float().double().tolist(),
                              gt_labels.tolist(), beta=1.0)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
def test_nearly_certain_student_keeps_the_rank(labels):
    # 1 - S_t is about 1e-9 here, 0 when taken as 1 - S_t in float32; Eq. 10
    # still weighs S_i / (1 - S_t) as much as W_i / (1 - W_t).
    preds_S, preds_W, gt_labels = sample_inputs(6, 100, 20, labels, scale=1.0)
    targets = gt_labels if labels == 'hard' else gt_labels.argmax(1)
    preds_S[torch.arange(6), targets] += 25.0
    preds_S, preds_W = preds_S.float(), preds_W.float()
    cfg = dict(alpha=0.0, beta=1.0, mu=0.0)
    loss = USKDLoss(**cfg)(
        preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
    expected = reference_uskd(preds_S.double().tolist(),
                              preds_W.double().tolist(), gt_labels.tolist(),
                              **cfg)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_global_batch_stats_without_process_group():
    inputs = sample_inputs(8, 100, 13, 'mixed')
    for target in TARGETS:
        local = USKDLoss(target=target)(
            preds_S=inputs[0], gt_labels=inputs[2], preds_W=inputs[1])
        shared = USKDLoss(target=target, batch_stats='global')(
            preds_S=inputs[0], gt_labels=inputs[2], preds_W=inputs[1])
        assert torch.equal(local, shared)


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
def test_gradients_match_finite_differences(labels):
    preds_S, preds_W, gt_labels = sample_inputs(3, 7, 14, labels)
    cfg = dict(target='square', alpha=0.8, beta=0.6, mu=0.3)
    student = preds_S.clone().requires_grad_()
    weak = preds_W.clone().requires_grad_()
    USKDLoss(**cfg)(
        preds_S=student, gt_labels=gt_labels, preds_W=weak).backward()

    label_list = gt_labels.tolist()
    # P_t and N(Z) are detached: they stay those of the unshifted logits.
    soft_target, zipf = reference_detached(preds_S.tolist(),
                                           preds_W.tolist(), label_list,
                                           **cfg)
    eps = 1e-6
    for logits, grad in ((preds_S, student.grad), (preds_W, weak.grad)):
        numeric = torch.zeros_like(logits)
        for n in range(3):
            for i in range(7):
                values = []
                for step in (eps, -eps):
                    shifted = logits.clone()
                    shifted[n, i] += step
                    pair = (shifted, preds_W) if logits is preds_S else (
                        preds_S, shifted)
                    values.append(
                        reference_loss(pair[0].tolist(), pair[1].tolist(),
                                       label_list, soft_target, zipf, **cfg))
                numeric[n, i] = (values[0] - values[1]) / (2 * eps)
        assert grad.abs().sum() > 0
        torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-7)


def _finite_loss_and_grads(preds_S, preds_W, gt_labels, **cfg):
    student = preds_S.detach().clone().requires_grad_()
    weak = preds_W.detach().clone().requires_grad_()
    loss = USKDLoss(**cfg)(preds_S=student, gt_labels=gt_labels, preds_W=weak)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(student.grad).all()
    assert torch.isfinite(weak.grad).all()
    return loss


@pytest.mark.parametrize('target', TARGETS)
@pytest.mark.parametrize('rank_space', ['prob', 'log_prob'])
def test_extreme_logits_stay_finite(target, rank_space):
    generator = torch.Generator().manual_seed(15)
    gt_labels = torch.tensor([0, 1, 2, 3])
    soft = torch.zeros(4, 10)
    soft[torch.arange(4), gt_labels] = 0.6
    soft[torch.arange(4), gt_labels + 4] = 0.4
    cfg = dict(target=target, rank_space=rank_space)
    confident = torch.randn(4, 10, generator=generator)
    confident[torch.arange(4), gt_labels] += 1e4
    for labels in (gt_labels, soft):
        # Student and weak logits fully confident: Eq. 10 is 0 / 0.
        first = _finite_loss_and_grads(confident, confident, labels, **cfg)
        second = _finite_loss_and_grads(confident, confident, labels, **cfg)
        assert torch.equal(first, second)
    wrong = torch.randn(4, 10, generator=generator)
    wrong[:, 9] += 1e4
    _finite_loss_and_grads(wrong, wrong.flip(0), gt_labels, **cfg)
    huge = torch.randn(4, 10, generator=generator) * 1e4
    _finite_loss_and_grads(huge, huge.flip(1), soft, **cfg)
    _finite_loss_and_grads(huge[:1], huge[1:2], gt_labels[:1], **cfg)
    _finite_loss_and_grads(huge[:1], huge[1:2], soft[:1], **cfg)


def test_half_precision_inputs_are_upcast():
    preds_S, preds_W, gt_labels = sample_inputs(6, 100, 16, 'mixed')
    preds_S, preds_W = preds_S.half(), preds_W.half()
    student = preds_S.clone().requires_grad_()
    weak = preds_W.clone().requires_grad_()
    loss = USKDLoss(beta=1.0)(
        preds_S=student, gt_labels=gt_labels.half(), preds_W=weak)
    loss.backward()
    assert loss.dtype == torch.float32
    assert student.grad.dtype == weak.grad.dtype == torch.float16
    assert torch.isfinite(student.grad).all()
    assert torch.isfinite(weak.grad).all()
    expected = reference_uskd(preds_S.double().tolist(),
                              preds_W.double().tolist(),
                              gt_labels.half().double().tolist(), beta=1.0)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_bfloat16_autocast():
    generator = torch.Generator().manual_seed(17)
    features = torch.randn(4, 16, generator=generator)
    head = torch.nn.Linear(16, 10)
    weak_head = torch.nn.Linear(16, 10)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        preds_S, preds_W = head(features), weak_head(features)
        assert preds_S.dtype == torch.bfloat16
        loss = USKDLoss()(
            preds_S=preds_S,
            gt_labels=torch.tensor([1, 2, 3, 4]),
            preds_W=preds_W)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    for module in (head, weak_head):
        assert torch.isfinite(module.weight.grad).all()
        assert module.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
def test_tied_ranks_keep_the_class_order(labels):
    # Uniform weak logits and rank 'weak': all classes tie, and the Zipf
    # values follow the class index, which the student's non-uniform logits
    # make visible (100 classes: an unstable sort reorders ties there).
    preds_S, _, gt_labels = sample_inputs(6, 100, 19, labels)
    uniform = torch.zeros_like(preds_S)
    cfg = dict(rank='weak', beta=1.0, mu=0.0)
    by_index = _check(cfg, preds_S, uniform, gt_labels)
    # Fully confident student and weak logits make Eq. 10 0 / 0 for every
    # class; the division-free form ties them all, in the class order too.
    targets = gt_labels if labels == 'hard' else gt_labels.argmax(1)
    rows = torch.arange(6)
    confident_S, confident_W = preds_S.clone(), torch.randn_like(preds_S)
    confident_S[rows, targets] += 1e4
    confident_W[rows, targets] += 1e4
    confident = USKDLoss(
        beta=1.0, mu=0.0)(
            preds_S=confident_S, gt_labels=gt_labels, preds_W=confident_W)
    reordered = USKDLoss(**cfg)(
        preds_S=confident_S, gt_labels=gt_labels, preds_W=uniform)
    torch.testing.assert_close(confident, reordered, rtol=1e-12, atol=0)
    assert torch.isfinite(by_index)


@pytest.mark.parametrize('option, value, allowed', [
    ('target', 'squared', "'square', 'linear', 'softmax', 'sqrt', 'max', "
     "'mean', 'none'"),
    ('non_target', 'normalized', "'zipf', 'none'"),
    ('rank', 'norm', "'normalized', 'sum', 'weak', 'final'"),
    ('rank_space', 'log', "'prob', 'log_prob'"),
    ('batch_stats', 'all', "'local', 'global'"),
])
def test_rejects_bad_options(option, value, allowed):
    with pytest.raises(ValueError) as error:
        USKDLoss(**{option: value})
    assert str(error.value) == (f'USKDLoss: {option} must be one of '
                                f'{allowed}, got {value!r}')
    with pytest.raises(ValueError, match='label_smoothing'):
        USKDLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match='zipf_exponent'):
        USKDLoss(zipf_exponent=-1.0)


def test_rejects_bad_inputs():
    loss_fn = USKDLoss()
    preds = torch.randn(4, 10)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r'preds_W must have the shape of '
                       r'preds_S \(4, 10\), got \(4, 12\)'):
        loss_fn(preds_S=preds, gt_labels=labels,
                preds_W=torch.randn(4, 12))
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(4, 10, 1\)'):
        loss_fn(preds_S=preds[..., None], gt_labels=labels,
                preds_W=preds[..., None])
    with pytest.raises(ValueError, match=r'\(N, C\).*got \(0, 10\)'):
        loss_fn(preds_S=preds[:0], gt_labels=labels[:0],
                preds_W=preds[:0])
    with pytest.raises(ValueError, match=r'\[0, 10\).*\(4, 10\)'):
        loss_fn(preds_S=preds, gt_labels=torch.tensor([0, 1, 2, 10]),
                preds_W=preds)
    with pytest.raises(ValueError, match=r'\(4,\).*\(4, 10\).*got \(4, 9\)'):
        loss_fn(preds_S=preds, gt_labels=torch.full((4, 9), 1 / 9),
                preds_W=preds)
    with pytest.raises(ValueError, match=r'\(4, 10\).*summing to 1'):
        loss_fn(preds_S=preds, gt_labels=torch.full((4, 10), 0.099),
                preds_W=preds)
    with pytest.raises(ValueError, match=r'float scores'):
        loss_fn(preds_S=preds, gt_labels=torch.ones(4, 10, dtype=torch.long),
                preds_W=preds)


def _distributed_worker(rank, init_file, out_dir, cases):
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        results = {}
        for name, (cfg, preds_S, preds_W, gt_labels) in cases.items():
            half = preds_S.shape[0] // 2
            part = slice(rank * half, (rank + 1) * half)
            results[name] = USKDLoss(**cfg)(
                preds_S=preds_S[part],
                gt_labels=gt_labels[part],
                preds_W=preds_W[part])
        torch.save(results, os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_global_batch_stats_across_two_processes(tmp_path):
    preds_S, preds_W, gt_labels = sample_inputs(8, 20, 18, 'mixed')
    # The second rank's half has no second target at all.
    gt_labels[4:] = torch.eye(20, dtype=torch.float64)[gt_labels[4:].argmax(1)]
    cases = {}
    for target in TARGETS[:-1]:
        for stats in ('global', 'local'):
            cases[f'{target}-{stats}'] = (dict(target=target,
                                               batch_stats=stats),
                                          preds_S, preds_W, gt_labels)
    torch.multiprocessing.spawn(
        _distributed_worker,
        args=(str(tmp_path / 'init'), str(tmp_path), cases),
        nprocs=2)
    parts = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    for target in TARGETS[:-1]:
        # Equal halves: the mean of the two ranks' losses is the loss of the
        # whole batch exactly when the statistics were the whole batch's.
        whole = USKDLoss(target=target)(
            preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
        shared = (parts[0][f'{target}-global'] +
                  parts[1][f'{target}-global']) / 2
        local = (parts[0][f'{target}-local'] +
                 parts[1][f'{target}-local']) / 2
        torch.testing.assert_close(shared, whole, rtol=1e-12, atol=0)
        assert not torch.allclose(local, whole, rtol=1e-6, atol=0)


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
@pytest.mark.parametrize('cfg', [
    dict(), dict(target='linear', rank='sum'),
    dict(target='softmax', rank='weak', rank_space='log_prob'),
    dict(target='none', zipf_exponent=2.0)
])
def test_soft_labels_match_the_reference(labels, cfg):
    """soft_labels() (Fig. 3) against the float64 reference: P_t of each
    slot and N(Z) over the non-target classes."""
    preds_S, preds_W, gt_labels = sample_inputs(8, 20, 3, labels)
    soft = USKDLoss(**cfg).soft_labels(preds_S, gt_labels, preds_W)
    soft_target, zipf = reference_detached(preds_S.tolist(), preds_W.tolist(),
                                           gt_labels.tolist(), **cfg)
    for n in range(len(preds_S)):
        slots = target_slots(gt_labels[n].tolist(), 20)
        for k, (cls, value) in enumerate(slots):
            assert int(soft['target_index'][n, k]) == cls
            assert bool(soft['target_valid'][n, k])
            expected = value if cfg.get('target') == 'none' else \
                soft_target[n][k]
            assert float(soft['target_value'][n, k]) == pytest.approx(
                expected, rel=1e-9, abs=1e-12)
        if len(slots) == 1:
            assert not bool(soft['target_valid'][n, 1])
            assert float(soft['target_value'][n, 1]) == 0
        row = soft['non_target'][n]
        for cls in range(20):
            assert float(row[cls]) == pytest.approx(
                zipf[n].get(cls, 0.0), rel=1e-9, abs=1e-12)


def test_official_is_an_alias_of_log_prob():
    # 'official' was this option's old name; it must keep selecting the
    # log-probability rank, which orders classes differently from 'prob'.
    preds_S, preds_W, gt_labels = sample_inputs(10, 100, 5, 'hard')
    cfg = dict(alpha=0.0, beta=1.0, mu=0.0)
    alias = USKDLoss(rank_space='official', **cfg)
    assert alias.rank_space == 'log_prob'
    log_prob = USKDLoss(
        rank_space='log_prob', **cfg)(
            preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
    prob = USKDLoss(
        rank_space='prob', **cfg)(
            preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W)
    assert torch.equal(
        alias(preds_S=preds_S, gt_labels=gt_labels, preds_W=preds_W), log_prob)
    assert not torch.allclose(log_prob, prob)
