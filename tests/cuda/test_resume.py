"""Resuming on the GPU: ``--amp`` with dynamic loss scaling (the scaler's
state saved and restored), and a run killed (SIGKILL) mid-epoch and resumed
with ``--resume`` against the same run left alone, with the CUDA generator
states restored: bit for bit under deterministic mode, within a stated
tolerance without it."""
import math

import pytest
import torch
from mmengine.hooks import Hook

from mmcls_kd.apis import build_runner, load_config
from tests.conftest import KD_CONFIG
from tests.cuda.conftest import needs_cuda
from tests.reliability.helpers import NKD_CONFIG
from tests.reliability.test_exact_resume import compare_runs, kill_and_resume

pytestmark = [pytest.mark.cuda, pytest.mark.slow]

# cuDNN and cuBLAS made deterministic, as PyTorch's reproducibility notes
# say: MMEngine's randomness.deterministic sets cudnn.deterministic, turns
# benchmark off and torch.use_deterministic_algorithms(True); cuBLAS needs
# its workspace configured before CUDA starts.
DETERMINISTIC = 'randomness = dict(seed=0, deterministic=True)\n'
DETERMINISTIC_ENV = {'CUBLAS_WORKSPACE_CONFIG': ':4096:8'}
# Without deterministic mode, atomic adds in the convolutions' backward
# change the last bits from run to run; after 5 more steps of a ResNet-18
# the logged losses and the weights stay within these (absolute) bounds.
NONDETERMINISTIC_TOLERANCE = dict(loss_tolerance=1e-3, weight_tolerance=1e-3)


def _amp_options(work_dir, teacher, epochs):
    return {
        'work_dir': str(work_dir),
        'model.teacher_ckpt': teacher,
        'train_dataloader.dataset.indices': 32,
        'train_dataloader.batch_size': 16,
        'train_cfg.max_epochs': epochs,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        'default_hooks.checkpoint.interval': 1,
        'randomness.seed': 0,
    }


def _amp_config(options):
    # What tools/train.py --amp selects.
    cfg = load_config(KD_CONFIG, options)
    cfg.optim_wrapper.type = 'DeviceAmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'
    return cfg


class _ScaleAtStart(Hook):
    """The loss scale when training starts, after the resume loaded it."""

    def before_train(self, runner) -> None:
        scaler = getattr(runner.optim_wrapper, 'loss_scaler', None)
        self.scale = None if scaler is None else scaler.get_scale()


def test_amp_checkpoints_and_resumes_its_loss_scaler(device, tmp_path,
                                                     random_teacher_ckpt):
    work = tmp_path / 'amp'
    runner = build_runner(
        _amp_config(_amp_options(work, random_teacher_ckpt, 2)))
    runner.train()
    assert math.isfinite(runner.message_hub.log_scalars['train/loss']
                         .current())
    resumed = build_runner(
        _amp_config({
            **_amp_options(work, random_teacher_ckpt, 3), 'resume': True,
            'load_from': str(work / 'epoch_2.pth')
        }))
    start = _ScaleAtStart()
    resumed.register_hook(start)
    resumed.train()
    assert resumed.iter == 6 and resumed.epoch == 3
    needs_cuda(device, 'dynamic loss scaling (fp16 GradScaler)')
    saved = torch.load(work / 'epoch_2.pth', map_location='cpu',
                       weights_only=False)['optimizer']['loss_scaler']
    assert saved['scale'] > 0 and '_growth_tracker' in saved
    # The resumed run starts from the scale saved at epoch 2.
    assert start.scale == saved['scale']


def test_a_resume_is_exact_in_deterministic_mode(device, tmp_path,
                                                 random_teacher_ckpt):
    runs = kill_and_resume(tmp_path, NKD_CONFIG,
                           {'model.teacher_ckpt': random_teacher_ckpt},
                           DETERMINISTIC, env=DETERMINISTIC_ENV)
    compare_runs(runs)
    if device == 'cuda':
        # Every rank's CUDA generator was saved with the others.
        assert 'cuda' in runs['saved']['rng_states'][0]


def test_a_resume_without_deterministic_mode_is_close(device, tmp_path,
                                                      random_teacher_ckpt):
    runs = kill_and_resume(tmp_path, NKD_CONFIG,
                           {'model.teacher_ckpt': random_teacher_ckpt})
    compare_runs(runs, **NONDETERMINISTIC_TOLERANCE)
