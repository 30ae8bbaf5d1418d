"""ZipfLSLoss against a float64 reference written from "Efficient One Pass
Self-distillation with Zipf's Label Smoothing" (arXiv 2207.12980) and its
official code's ranking; and inside a real MMRazor ConfigurableDistiller
that records the student's own classifier."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmcls_kd.models.losses import ZipfLSLoss, zipf_ls_loss
from mmcls_kd.registry import MODELS
from tests.conftest import QUICK
from tests.models.losses import _reference as ref


def _argmax(values):
    return max(range(len(values)), key=lambda k: (values[k], -k))


def reference_zipf_rows(student,
                        positions,
                        labels,
                        power=1.0,
                        tie_break='logit'):
    """The KL divergence of each sample and whether the sample is correctly
    classified; ``positions[n]``: the per-position logit lists of sample
    n."""
    num_classes = len(student[0])
    losses, correct = [], []
    for row, cells, label in zip(student, positions, labels):
        t = ref.target_of(label, num_classes)
        votes = [0] * num_classes
        for cell in cells:
            votes[_argmax(cell)] += 1
        if tie_break == 'logit':
            order = sorted(range(num_classes),
                           key=lambda k: (-votes[k], -row[k], k))
            rank = [0] * num_classes
            for position, k in enumerate(order):
                rank[k] = position + 1
        else:
            rank = [1 + sum(v > votes[k] for v in votes)
                    for k in range(num_classes)]
        others = [k for k in range(num_classes) if k != t]
        zipf = [rank[k]**-power for k in others]
        zipf = [z / sum(zipf) for z in zipf]
        log_non_target = ref.log_softmax([row[k] for k in others])
        losses.append(ref.kl(zipf, log_non_target))
        correct.append(_argmax(row) == t)
    return losses, correct


def reference_zipf(student,
                   positions,
                   labels,
                   power=1.0,
                   tie_break='logit',
                   correct_only=True,
                   loss_weight=1.0):
    losses, correct = reference_zipf_rows(student, positions, labels, power,
                                          tie_break)
    if correct_only:
        kept = [v for v, ok in zip(losses, correct) if ok]
        value = sum(kept) / len(kept) if kept else 0.0
    else:
        value = sum(losses) / len(losses)
    return value * loss_weight


def _cells(pixel_logits):
    """(N, C, H, W) logits -> per sample, the list of per-position logits."""
    n, c, h, w = pixel_logits.shape
    grid = pixel_logits.tolist()
    return [[[grid[i][k][y][x] for k in range(c)] for y in range(h)
             for x in range(w)] for i in range(n)]


def _case(num_classes, seed, soft=False, positions=(2, 2)):
    preds_S = ref.logits(8, num_classes, seed=seed)
    pixel = ref.logits(8, num_classes * positions[0] * positions[1],
                       seed=seed + 1).view(8, num_classes, *positions)
    gt_labels = ref.labels(8, num_classes, seed=seed + 2, soft=soft)
    # Half of the samples classified correctly.
    targets = gt_labels.argmax(1) if soft else gt_labels
    preds_S[:4].scatter_(1, targets[:4, None], 20.0)
    return preds_S, pixel, gt_labels


@pytest.mark.parametrize('num_classes', [10, 100])
@pytest.mark.parametrize('tie_break', ['logit', 'min'])
@pytest.mark.parametrize('correct_only', [True, False])
@pytest.mark.parametrize('soft', [False, True])
def test_matches_reference(num_classes, tie_break, correct_only, soft):
    preds_S, pixel, gt_labels = _case(num_classes, num_classes, soft)
    loss_fn = ZipfLSLoss(tie_break=tie_break, correct_only=correct_only,
                         power=1.5, loss_weight=0.1)
    loss = loss_fn(preds_S, pixel, gt_labels)
    expected = reference_zipf(preds_S.tolist(), _cells(pixel),
                              gt_labels.tolist(), 1.5, tie_break,
                              correct_only, 0.1)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    # Tokens (N, H*W, C) vote the same.
    tokens = pixel.flatten(2).transpose(1, 2)
    assert loss_fn(preds_S, tokens, gt_labels).item() == pytest.approx(
        expected, rel=1e-9)


@pytest.mark.parametrize('tie_break', ['logit', 'min'])
def test_zipf_ls_loss_per_sample_and_the_module_reduction(tie_break):
    preds_S, pixel, gt_labels = _case(10, 40, soft=True)
    per_sample = zipf_ls_loss(
        preds_S, pixel, gt_labels, power=1.5, tie_break=tie_break)
    assert per_sample.shape == (8, )
    losses, correct = reference_zipf_rows(preds_S.tolist(), _cells(pixel),
                                          gt_labels.tolist(), 1.5, tie_break)
    assert per_sample.tolist() == pytest.approx(losses, rel=1e-9)
    options = dict(power=1.5, tie_break=tie_break, loss_weight=0.1)
    every = ZipfLSLoss(
        correct_only=False, **options)(preds_S, pixel, gt_labels)
    assert torch.equal(every, per_sample.mean() * 0.1)
    # The mean over the correctly classified samples only.
    mask = torch.tensor(correct, dtype=torch.float64)
    assert mask.sum() == 4
    kept = ZipfLSLoss(correct_only=True, **options)(preds_S, pixel, gt_labels)
    assert torch.equal(kept, (per_sample * mask).sum() / mask.sum() * 0.1)


def test_feature_map_with_the_classifier_weights():
    preds_S, _, gt_labels = _case(10, 5)
    feature = ref.logits(8, 3 * 3 * 3, seed=7).view(8, 3, 3, 3)
    weight = ref.logits(10, 3, seed=8)
    bias = ref.logits(1, 10, seed=9)[0]
    loss = ZipfLSLoss()(preds_S, feature, gt_labels, weight, bias)
    cells = []
    for sample in feature.tolist():
        cells.append([[
            sum(weight[k][c].item() * sample[c][y][x] for c in range(3)) +
            bias[k].item() for k in range(10)
        ] for y in range(3) for x in range(3)])
    expected = reference_zipf(preds_S.tolist(), cells, gt_labels.tolist())
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_ranking_by_hand():
    # 4 classes, target 0, 3 positions: class 2 has two votes, class 3 one,
    # class 1 none. Ranks by votes: 2 -> 1, 3 -> 2; class 1 is tied with
    # the target at 0 votes: rank 4 after the target's better logit
    # ('logit'), or rank 3 shared with the target ('min').
    preds_S = torch.tensor([[5.0, 1.0, 2.0, 3.0]], dtype=torch.float64)
    votes = torch.tensor([[[0.0, 0.0, 1.0, 0.0]] * 2 + [[0.0, 0.0, 0.0, 1.0]]],
                         dtype=torch.float64)
    log_non_target = ref.log_softmax([1.0, 2.0, 3.0])
    for tie_break, ranks in (('logit', [4, 1, 2]), ('min', [3, 1, 2])):
        zipf = [1 / r for r in ranks]
        zipf = [z / sum(zipf) for z in zipf]
        expected = ref.kl(zipf, log_non_target)
        loss = ZipfLSLoss(tie_break=tie_break)(preds_S, votes,
                                               torch.tensor([0]))
        assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_no_correct_sample_gives_zero():
    preds_S, pixel, _ = _case(10, 11)
    wrong = (preds_S.argmax(1) + 1) % 10
    assert ZipfLSLoss()(preds_S, pixel, wrong).item() == 0.0
    assert ZipfLSLoss(correct_only=False)(preds_S, pixel, wrong).item() > 0


def test_gradient_reaches_the_logits_only():
    preds_S, _, gt_labels = _case(6, 12)
    feature = ref.logits(8, 4 * 2 * 2, seed=13).view(8, 4, 2, 2)
    student = preds_S.clone().requires_grad_()
    feat = feature.clone().requires_grad_()
    weight = ref.logits(6, 4, seed=14).requires_grad_()
    bias = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    ZipfLSLoss(correct_only=False)(student, feat, gt_labels, weight,
                                   bias).backward()
    # The votes are an argmax: no gradient to the map or the classifier.
    assert feat.grad is None and weight.grad is None and bias.grad is None
    cells = _cells(F.conv2d(feature, weight.detach()[:, :, None, None]))
    numeric = ref.numeric_grad(
        lambda s: reference_zipf(s, cells, gt_labels.tolist(),
                                 correct_only=False), preds_S)
    torch.testing.assert_close(student.grad, numeric, rtol=1e-5, atol=1e-9)


def test_huge_logits_and_bfloat16_stay_finite():
    gt_labels = torch.tensor([0, 1, 2, 3])
    huge = ref.logits(4, 10, seed=15).float() * 1e4
    huge[:2].scatter_(1, gt_labels[:2, None], 5e4)
    pixel = ref.logits(4, 40, seed=16).float().view(4, 10, 2, 2) * 1e4
    student = huge.clone().requires_grad_()
    ref.assert_finite_with_grad(
        ZipfLSLoss()(student, pixel, gt_labels), student)

    generator = torch.Generator().manual_seed(17)
    feature = torch.randn(4, 16, 3, 3, generator=generator)
    head = torch.nn.Linear(16, 10)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        preds_S = head(feature.mean((2, 3)))
        assert preds_S.dtype == torch.bfloat16
        loss = ZipfLSLoss(correct_only=False, upsample_factor=2.0)(
            preds_S, feature, gt_labels, head.weight, head.bias)
    assert loss.dtype == torch.float32
    # The votes come from float32 per-position logits.
    with torch.no_grad():
        expected = ZipfLSLoss(correct_only=False, upsample_factor=2.0)(
            preds_S.float(), feature, gt_labels, head.weight, head.bias)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    ref.assert_finite_with_grad(loss)
    assert head.weight.grad.abs().sum() > 0


def test_rejects_bad_inputs():
    loss_fn = ZipfLSLoss()
    preds = torch.randn(4, 10)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r'\(4, 10, H, W\).*\(4, 12, 2, 2\)'):
        loss_fn(preds, torch.randn(4, 12, 2, 2), labels)
    with pytest.raises(ValueError, match=r'\(4, H\*W, 10\).*\(4, 5, 12\)'):
        loss_fn(preds, torch.randn(4, 5, 12), labels)
    with pytest.raises(ValueError, match=r'10 rows.*\(4, 10\).*\(12, 8\)'):
        loss_fn(preds, torch.randn(4, 8, 2, 2), labels, torch.randn(12, 8))
    with pytest.raises(ValueError, match=r'\(C, 8\).*\(4, 8, 2, 2\).*'
                       r'\(10, 6\)'):
        loss_fn(preds, torch.randn(4, 8, 2, 2), labels, torch.randn(10, 6))
    ref.soft_row_error(
        lambda bad: loss_fn(preds, torch.randn(4, 10, 2, 2), bad))
    with pytest.raises(ValueError, match="tie_break must be one of 'logit', "
                       "'min', got 'max'"):
        ZipfLSLoss(tie_break='max')


def test_configurable_distiller_records_the_students_classifier():
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(
        osp.join(QUICK, 'zipfls_resnet18-w16_1xb32_digits.py'))
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(cfg.model)
    model.eval()
    generator = torch.Generator().manual_seed(18)
    # 16x16 inputs: a 2x2 last feature map, 4x4 after the x2 upsampling.
    inputs = torch.randn(4, 1, 16, 16, generator=generator)
    student = model.student
    with torch.no_grad():
        feature = student.backbone(inputs)[-1]
        logits = student.head.fc(feature.mean((2, 3)))
        upsampled = F.interpolate(feature, scale_factor=2.0,
                                  mode='bilinear', align_corners=False)
        pixel = student.head.fc(upsampled.permute(0, 2, 3, 1))
    # Two samples classified correctly, two not.
    top = logits.argmax(1).tolist()
    labels = top[:2] + [(k + 1) % 10 for k in top[2:]]
    samples = [DataSample().set_gt_label(y) for y in labels]
    losses = model.loss(inputs, samples)

    cells = [[row for line in sample for row in line]
             for sample in pixel.double().tolist()]
    expected = reference_zipf(logits.double().tolist(), cells, labels,
                              loss_weight=0.1)
    assert expected > 0
    assert losses['distill.loss_zipf'].item() == pytest.approx(
        expected, rel=1e-5)
    # The recorded parameters are the head's own, not copies.
    recorder = model.distiller.student_recorders.get_recorder('fc_weight')
    assert recorder.get_record_data() is student.head.fc.weight
