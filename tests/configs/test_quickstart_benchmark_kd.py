"""The quick starts of the CRD benchmark's feature methods (AB, FSP, NST,
KD-SVD) train: one epoch of the initialisation phase where the method has
one, then two iterations, in this process. FT's trains in
tests/engine/test_init_phase.py."""
import glob
import math
import os.path as osp
import re

import pytest

from tests.conftest import QUICK
from tests.reliability.helpers import (load_own_checkpoint, scalars,
                                       train_in_process)

# method -> (losses of the initialisation phase, losses after it)
LOSSES = {
    'ab': (['loss_ab1', 'loss_ab2', 'loss_ab3', 'loss_ab4'], []),
    'fsp': (['loss_fsp'], []),
    'nst': (None, ['loss_nst1', 'loss_nst2', 'loss_nst3', 'loss_nst4']),
    'kdsvd': (None, ['loss_kdsvd']),
}


@pytest.fixture(scope='module')
def trained(tmp_path_factory, random_teacher_ckpt):
    root = tmp_path_factory.mktemp('benchmark_kd')
    for method in LOSSES:
        train_in_process(
            osp.join(QUICK,
                     f'{method}_resnet34-w32_resnet18-w16_1xb32_digits.py'),
            root / method, {
                'model.teacher_ckpt': random_teacher_ckpt,
                'train_dataloader.dataset.indices': 64,
                'train_cfg.max_epochs': 1,
                'default_hooks.logger.interval': 1
            })
    return root


def _phase_means(work_dir):
    """The loss means the log gives for the initialisation phase's
    epoch."""
    text = open(glob.glob(osp.join(work_dir, '*', '*.log'))[0]).read()
    line = re.search(r'Initialisation phase epoch \[1/1\] done, (.*)', text)
    return dict(re.findall(r'(\S+): ([-\d.e+na]+)', line.group(1)))


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(LOSSES))
def test_quick_start_trains(method, trained):
    work_dir = trained / method
    phase, after = LOSSES[method]
    rows = scalars(work_dir)
    assert sorted(rows) == [1, 2]
    for row in rows.values():
        assert sorted(k for k in row if k.startswith('distill.')) == [
            f'distill.{name}' for name in sorted(after)]
        assert all(math.isfinite(row[k]) and row[k] > 0 for k in row
                   if 'loss' in k)
    if phase is None:
        assert not glob.glob(str(work_dir / 'init_epoch_*.pth'))
        return
    means = _phase_means(work_dir)
    for name in phase:
        value = float(means[f'distill.{name}'])
        assert math.isfinite(value) and value > 0
    assert 'student.loss' not in means
    init = load_own_checkpoint(work_dir / 'init_epoch_1.pth')
    assert init['init_phase']['epochs_done'] == 1
