"""``--launcher pytorch`` with NCCL on one GPU (a process group of one), and
the rank-mean loss and non-finite-loss hooks on CUDA tensors."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import KD_CONFIG, REPO, free_port, tool_env
from tests.reliability.helpers import dist_train, scalars

pytestmark = [pytest.mark.cuda, pytest.mark.slow]


def test_hooks_in_a_process_group_of_one_on_nccl(device):
    # On the CPU: the same probe on gloo.
    env = tool_env()
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=1',
         f'--master_port={free_port()}', 'tests/cuda/nccl_probe.py', device],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    backend = 'nccl' if device == 'cuda' else 'gloo'
    assert f'{backend} probe passed' in proc.stdout


def test_dist_train_with_one_process(device, tmp_path, random_teacher_ckpt):
    # On the GPU the backend is NCCL, on the CPU gloo (KDRunner picks).
    work = tmp_path / 'work'
    dist_train(KD_CONFIG, work, free_port(), [
        f'model.teacher_ckpt={random_teacher_ckpt}',
        'train_dataloader.dataset.indices=32',
        'train_dataloader.batch_size=16', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1'
    ], nproc=1)
    rows = scalars(work)
    assert sorted(rows) == [1, 2]
    assert all(row['loss'] > 0 for row in rows.values())
