"""tools/train.py, tools/test.py and tools/dist_train.sh as a user runs
them."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.conftest import (KD_CONFIG, REPO, STUDENT_CONFIG, TINY, free_port,
                            run_tool, tool_env)


def _scalars(work_dir):
    runs = [
        d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d))
    ]
    rows = []
    for run in sorted(runs):
        path = osp.join(work_dir, run, 'vis_data', 'scalars.json')
        if osp.exists(path):
            with open(path) as f:
                rows += [json.loads(line) for line in f]
    return rows


@pytest.mark.slow
def test_distillation_trains_and_tests(tmp_path, random_teacher_ckpt):
    work = tmp_path / 'kd'
    run_tool(['tools/train.py', KD_CONFIG, '--work-dir', str(work),
              '--cfg-options', f'model.teacher_ckpt={random_teacher_ckpt}',
              'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'] + TINY)
    rows = _scalars(work)
    train = [r for r in rows if 'distill.loss_kd' in r]
    assert len(train) == 2 and all(r['distill.loss_kd'] > 0 for r in train)
    val = [r for r in rows if 'accuracy/top1' in r]
    assert len(val) == 1 and 'teacher/accuracy/top1' in val[0]
    out = tmp_path / 'metrics.json'
    run_tool(['tools/test.py', KD_CONFIG, str(work / 'epoch_1.pth'),
              '--work-dir', str(tmp_path / 'test'), '--out', str(out),
              '--cfg-options', f'model.teacher_ckpt={random_teacher_ckpt}'] +
             TINY)
    metrics = json.loads(out.read_text())['metrics']
    assert metrics['accuracy/top1'] == pytest.approx(val[0]['accuracy/top1'])


@pytest.mark.slow
def test_dist_train_two_cpu_ranks_agree(tmp_path, random_teacher_ckpt):
    work = tmp_path / 'ddp'
    config = tmp_path / 'kd_ddp_check.py'
    config.write_text(f'_base_ = [{KD_CONFIG!r}]\n'
                      'custom_hooks = [dict(type="DDPWeightsCheckHook")]\n')
    env = tool_env()
    env['PORT'] = str(free_port())
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
         str(work), '--cfg-options',
         f'model.teacher_ckpt={random_teacher_ckpt}', 'train_cfg.max_epochs=1',
         'train_cfg.val_interval=1'] + TINY,
        cwd=REPO, env={**env, 'PATH': osp.dirname(sys.executable) + ':' +
                       env['PATH']},
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    check = json.loads((work / 'ddp_weights_check.json').read_text())
    assert check['world_size'] == 2
    assert len(check['fingerprints']) == 2
    assert check['fingerprints'][0] == check['fingerprints'][1]
    # 64 images over 2 ranks at 32 per rank: one iteration an epoch.
    train = [r for r in _scalars(work) if 'distill.loss_kd' in r]
    assert [r['iter'] for r in train] == [1]


@pytest.mark.slow
def test_resume_continues_a_killed_run(tmp_path):
    work = tmp_path / 'resume'
    args = [sys.executable, 'tools/train.py', STUDENT_CONFIG, '--work-dir',
            str(work), '--cfg-options', 'train_cfg.max_epochs=40',
            'train_cfg.val_interval=100'] + TINY
    proc = subprocess.Popen(args, cwd=REPO, env=tool_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (work / 'epoch_3.pth').exists():
        assert proc.poll() is None, 'training ended before it was killed'
        assert time.time() < deadline
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last = (work / 'last_checkpoint').read_text().strip()
    killed_at = int(osp.basename(last)[len('epoch_'):-len('.pth')])
    assert 3 <= killed_at < 40
    # Continue to a few epochs past the kill.
    end = killed_at + 2
    out = run_tool(['tools/train.py', STUDENT_CONFIG, '--work-dir', str(work),
                    '--resume', '--cfg-options', f'train_cfg.max_epochs={end}',
                    'train_cfg.val_interval=100'] + TINY)
    assert f'resumed epoch: {killed_at}' in out.stdout + out.stderr
    from mmcls_kd.checkpoint import load_checkpoint_file, trusted_checkpoint
    final = str(work / f'epoch_{end}.pth')
    with trusted_checkpoint(final):
        ckpt = load_checkpoint_file(final)
    assert ckpt['meta']['epoch'] == end
    assert ckpt['meta']['iter'] == end * 2


@pytest.mark.slow
def test_resume_from_an_explicit_path(tmp_path):
    work = tmp_path / 'first'
    run_tool(['tools/train.py', STUDENT_CONFIG, '--work-dir', str(work),
              '--cfg-options', 'train_cfg.max_epochs=1'] + TINY)
    out = run_tool(['tools/train.py', STUDENT_CONFIG, '--work-dir',
                    str(tmp_path / 'second'), '--resume',
                    str(work / 'epoch_1.pth'), '--cfg-options',
                    'train_cfg.max_epochs=2'] + TINY)
    assert 'resumed epoch: 1' in out.stdout + out.stderr
    assert (tmp_path / 'second' / 'epoch_2.pth').exists()


@pytest.mark.slow
def test_amp_on_cpu_trains_in_bf16(tmp_path):
    work = tmp_path / 'amp'
    run_tool(['tools/train.py', STUDENT_CONFIG, '--work-dir', str(work),
              '--amp', '--cfg-options', 'train_cfg.max_epochs=1'] + TINY)
    rows = [r for r in _scalars(work) if 'loss' in r]
    assert rows and all(torch.isfinite(torch.tensor(r['loss'])) for r in rows)
    log = next(work.glob('*/*.log')).read_text()
    assert 'DeviceAmpOptimWrapper' in log
