"""A run killed (SIGKILL) in the middle of an epoch and resumed with
``--resume`` against the same run left alone: the same losses after the
resume and the same final weights, bit for bit.

The runs keep what makes a resume hard: random crops (numpy), a shuffled
data order (per epoch), BatchNorm statistics, momentum. Checkpoints every
3 iterations, 4 iterations an epoch: the run is killed when iteration 8
starts, so the last checkpoint (iteration 6) lies in the middle of epoch 2
and iteration 7 has to be trained again.
"""
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmcls_kd.checkpoint import file_sha256

from tests.conftest import QUICK, REPO, tool_env
from tests.reliability.helpers import (NKD_CONFIG, USKD_CONFIG,
                                       load_own_checkpoint, loss_names,
                                       scalars, train_in_process,
                                       write_config)

# Bit-identical: the same operations in the same order in one thread.
TOLERANCE = 0.0

_RESUMABLE = '''
custom_imports = dict(
    imports=['mmcls_kd', 'tests.reliability.kill_hook'],
    allow_failed_imports=False)
train_dataloader = dict(batch_size=16, dataset=dict(indices=64))
train_cfg = dict(max_epochs=3, val_interval=100)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False))
log_processor = dict(window_size=1)
'''
# Two data loader workers: exact only with augmentation seeded by (seed,
# epoch, sample), whatever process draws it.
_WORKERS = '''
train_dataloader = dict(batch_size=16, dataset=dict(indices=64),
                        num_workers=2, persistent_workers=True,
                        seeded_augment=True)
'''


def _dkd_config() -> str:
    try:
        from mmcls_kd.models.losses import DKDLoss  # noqa: F401
    except ImportError:
        pytest.skip('DKDLoss not available')
    # Its warm-up hook sets the factor from the runner's epoch.
    return osp.join(QUICK, 'dkd_resnet34-w32_resnet18-w16_1xb32_digits.py')


def _train(config, work_dir, *args, env=None) -> subprocess.Popen:
    env = {**tool_env(), **(env or {})}
    # A run's own checkpoints resume without any opt-in.
    env.pop('MMCLS_KD_TRUST_CHECKPOINTS', None)
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', config, '--work-dir',
         str(work_dir), '--no-validate'] + list(args),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def kill_and_resume(tmp_path, base, teacher_options, body='', env=None):
    """Train ``base`` (with ``body`` added) twice: once uninterrupted, once
    killed (SIGKILL) when iteration 8 starts and resumed with ``--resume``.
    The uninterrupted run trains in this process, or with ``env`` (more
    environment, e.g. for cuBLAS) in a tool process too, like the others,
    so that what it sets (deterministic mode) stays there. Returns the
    logged rows of both runs and their final checkpoints."""
    config = write_config(tmp_path / 'resumable.py', base, _RESUMABLE + body)
    # The configured hooks (e.g. DKD's warm-up) and the one that kills.
    hooks = [h.to_dict() for h in Config.fromfile(config).get(
        'custom_hooks', [])]
    hooks.append(dict(type='SigkillAtIterHook', iteration=8))
    killed_config = write_config(tmp_path / 'killed.py', config,
                                 f'custom_hooks = {hooks!r}\n')
    options = [f'{k}={v}' for k, v in teacher_options.items()]
    options = ['--cfg-options'] + options if options else []
    whole, broken = tmp_path / 'whole', tmp_path / 'broken'

    # The run to be killed in a process of its own, meanwhile the
    # uninterrupted one here (one thread, like the tools' processes).
    killed = _train(killed_config, broken, *options, env=env)
    if env is None:
        train_in_process(config, whole, teacher_options)
    else:
        alone = _train(config, whole, *options, env=env)
        log = alone.communicate(timeout=600)[0]
        assert alone.returncode == 0, log[-5000:]
    output = killed.communicate(timeout=600)[0]
    assert killed.returncode == -signal.SIGKILL, output[-5000:]
    last = (broken / 'last_checkpoint').read_text().strip()
    assert osp.basename(last) == 'iter_6.pth'
    assert max(scalars(broken)) == 7  # trained, logged, then lost

    resumed = _train(config, broken, '--resume', *options, env=env)
    log = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, log[-5000:]
    assert 'resumed epoch: 1, iter: 6' in log
    assert 'its first 2 batches' in log
    assert 'Random generator states restored' in log
    return dict(
        rows_whole=scalars(whole),
        rows_resumed=scalars(broken),
        final_whole=load_own_checkpoint(whole / 'iter_12.pth'),
        final_resumed=load_own_checkpoint(broken / 'iter_12.pth'),
        saved=load_own_checkpoint(broken / 'iter_6.pth'))


def compare_runs(runs, loss_tolerance=0.0, weight_tolerance=0.0) -> None:
    """The resumed run against the uninterrupted one: every logged loss of
    the iterations after the resume and every final weight within the
    tolerances (absolute; 0: bit for bit)."""
    rows_whole, rows_resumed = runs['rows_whole'], runs['rows_resumed']
    assert sorted(rows_whole) == sorted(rows_resumed) == list(range(1, 13))
    names = loss_names(rows_whole)
    for it in range(7, 13):
        for name in names:
            assert abs(rows_resumed[it][name] -
                       rows_whole[it][name]) <= loss_tolerance, (it, name)
        assert rows_resumed[it]['lr'] == rows_whole[it]['lr']
    final_whole, final_resumed = runs['final_whole'], runs['final_resumed']
    assert final_resumed['meta']['iter'] == 12
    assert final_resumed['meta']['epoch'] == final_whole['meta']['epoch']
    state_whole = final_whole['state_dict']
    state_resumed = final_resumed['state_dict']
    assert state_whole.keys() == state_resumed.keys()
    for key in state_whole:
        if weight_tolerance == 0 or not state_whole[key].is_floating_point():
            assert torch.equal(state_whole[key], state_resumed[key]), key
        else:
            error = (state_whole[key].double() -
                     state_resumed[key].double()).abs().max().item()
            assert error <= weight_tolerance, (key, error)


@pytest.mark.slow
@pytest.mark.parametrize('method', ['nkd', 'uskd', 'dkd', 'nkd-workers'])
def test_killed_mid_epoch_and_resumed_equals_uninterrupted(
        tmp_path, method, random_teacher_ckpt):
    base = {'nkd': NKD_CONFIG, 'nkd-workers': NKD_CONFIG,
            'uskd': USKD_CONFIG}.get(method) or _dkd_config()
    teacher = {} if method == 'uskd' else {
        'model.teacher_ckpt': random_teacher_ckpt}
    runs = kill_and_resume(
        tmp_path, base, teacher,
        _WORKERS if method.endswith('-workers') else '')
    compare_runs(runs, TOLERANCE, TOLERANCE)
    final_whole, final_resumed = runs['final_whole'], runs['final_resumed']

    if method != 'uskd':
        # The frozen teacher is left out of the checkpoints; the meta names
        # the file it was loaded from (test_plain_checkpoint.py checks that
        # it stays frozen).
        sha = file_sha256(str(random_teacher_ckpt))
        for checkpoint in (final_whole, final_resumed):
            assert not [k for k in checkpoint['state_dict']
                        if k.startswith('teacher.')]
            assert checkpoint['meta']['teacher']['sha256'] == sha
