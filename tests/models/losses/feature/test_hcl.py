"""ReviewKD's hierarchical context loss (arXiv 2104.09044) against float64
loops."""
import logging

import pytest
import torch

from mmcls_kd.models.losses.feature import HCLLoss


def _mse(a, b):
    a, b = a.flatten().tolist(), b.flatten().tolist()
    return sum((x - y)**2 for x, y in zip(a, b)) / len(a)


def _pool(feature, size):
    """Average over size x size equal blocks (the map divides evenly)."""
    n, c, h, w = feature.shape
    out = torch.zeros(n, c, size, size, dtype=torch.float64)
    bh, bw = h // size, w // size
    for i in range(size):
        for j in range(size):
            out[:, :, i, j] = feature[:, :, i * bh:(i + 1) * bh,
                                      j * bw:(j + 1) * bw].mean(dim=(2, 3))
    return out


def reference_hcl(students, teachers, levels=(4, 2, 1)):
    total = 0.0
    for fs, ft in zip(students, teachers):
        if fs.dim() == 2:
            fs, ft = fs[:, :, None, None], ft[:, :, None, None]
        loss, weight, weights = _mse(fs, ft), 1.0, 1.0
        for level in levels:
            if level < fs.shape[2]:
                weight /= 2
                loss += weight * _mse(_pool(fs, level), _pool(ft, level))
                weights += weight
        total += loss / weights
    return total


def _features(seed):
    g = torch.Generator().manual_seed(seed)
    shapes = [(2, 3, 8, 8), (2, 4, 4, 4), (2, 5, 2, 2), (2, 6, 1, 1), (2, 6)]
    students = [torch.randn(s, generator=g, dtype=torch.float64)
                for s in shapes]
    teachers = [torch.randn(s, generator=g, dtype=torch.float64)
                for s in shapes]
    return students, teachers


@pytest.mark.parametrize('seed', [0, 1])
def test_matches_reference(seed):
    students, teachers = _features(seed)
    loss = HCLLoss(loss_weight=5.0)(students, teachers)
    assert float(loss) == pytest.approx(
        5.0 * reference_hcl(students, teachers), rel=1e-10)


def test_levels_weighting():
    # Other levels: an 8x8 map with levels (2, ) weighs 1 and 1/2.
    students, teachers = _features(2)
    loss = HCLLoss(levels=(2, ))(students[:1], teachers[:1])
    assert float(loss) == pytest.approx(
        reference_hcl(students[:1], teachers[:1], levels=(2, )), rel=1e-10)


@pytest.mark.parametrize('first_epoch, expected', [
    # mdistiller: min(epoch / 20, 1), epochs from 1.
    (1, {0: 1 / 20, 9: 10 / 20, 19: 1.0, 30: 1.0}),
    # ReviewKD's train.py: min(epoch / 20, 1), epochs from 0.
    (0, {0: 0.0, 1: 1 / 20, 10: 10 / 20, 19: 19 / 20, 20: 1.0}),
])
def test_warmup_follows_the_runners_epoch(first_epoch, expected):
    from mmcls_kd.engine.hooks import DistillLossWarmupHook
    students, teachers = _features(3)
    full = float(HCLLoss()(students, teachers))
    loss = HCLLoss(warmup_epochs=20, warmup_first_epoch=first_epoch)

    class _Runner:
        model = loss
        logger = logging.getLogger('test')

    for epoch, factor in expected.items():
        _Runner.epoch = epoch
        DistillLossWarmupHook().before_train_epoch(_Runner)
        assert float(loss(students, teachers)) == pytest.approx(full * factor)


def test_teacher_is_detached():
    students, teachers = _features(4)
    for f in students + teachers:
        f.requires_grad_(True)
    HCLLoss()(students, teachers).backward()
    assert all(f.grad is not None for f in students)
    assert all(f.grad is None for f in teachers)


def test_mismatched_pairs_are_named():
    students, teachers = _features(5)
    teachers[1] = teachers[1][:, :3]
    with pytest.raises(ValueError, match=r'student feature 1 \(2, 4, 4, 4\) '
                       r'does not fit teacher feature 1 \(2, 3, 4, 4\)'):
        HCLLoss()(students, teachers)
    with pytest.raises(ValueError, match='one length'):
        HCLLoss()(students, teachers[:2])
