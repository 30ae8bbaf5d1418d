"""The quick-start configs of the baseline methods build and train two
iterations with a finite distillation loss computed by this package's
loss class."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope

import mmcls_kd.engine.hooks.loss_warmup  # noqa: F401
import mmcls_kd.models.losses  # noqa: F401
from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.registry import MODELS
from tests.conftest import QUICK, STUDENT_CONFIG

# Config -> the name of its distillation loss.
CONFIGS = {
    'dkd_resnet34-w32_resnet18-w16_1xb32_digits.py': 'loss_dkd',
    'wsld_resnet34-w32_resnet18-w16_1xb32_digits.py': 'loss_wsld',
    'normkd_resnet34-w32_resnet18-w16_1xb32_digits.py': 'loss_normkd',
    'tfkd-reg_resnet18-w16_1xb32_digits.py': 'loss_tfkd',
    'tfkd-self_resnet18-w16_resnet18-w16_1xb32_digits.py': 'loss_kd',
    'zipfls_resnet18-w16_1xb32_digits.py': 'loss_zipf',
    'tfnkd_resnet18-w16_1xb32_digits.py': 'loss_tfnkd',
    # The KD quick start with this package's KDLoss in place of MMRazor's.
    'kd_resnet34-w32_resnet18-w16_1xb32_digits.py': 'loss_kd',
}
TWO_ITERATIONS = {
    'train_dataloader.dataset.indices': 64,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 100,
    'default_hooks.logger.interval': 1,
    'default_hooks.checkpoint.interval': 100,
}


class _LossRecorder(Hook):
    """Keeps the distillation loss of every training iteration."""

    def __init__(self, key):
        self.key = key
        self.values = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.values.append(float(outputs[self.key]))


@pytest.fixture(scope='module')
def random_student_ckpt(tmp_path_factory):
    """The quick-start student with random weights: Tf-KD_self's teacher."""
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        student = MODELS.build(Config.fromfile(STUDENT_CONFIG).model)
    path = tmp_path_factory.mktemp('student') / 'student.pth'
    torch.save({'state_dict': student.state_dict()}, path)
    return str(path)


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_quickstart_config_trains(config, tmp_path, random_teacher_ckpt,
                                  random_student_ckpt):
    options = dict(TWO_ITERATIONS, work_dir=str(tmp_path))
    if 'resnet34' in config:
        options['model.teacher_ckpt'] = random_teacher_ckpt
    elif 'tfkd-self' in config:
        options['model.teacher_ckpt'] = random_student_ckpt
    if config.startswith('kd_'):
        options['model.distiller.distill_losses.loss_kd'] = dict(
            _delete_=True, type='KDLoss', tau=4.0)
    cfg = load_config(osp.join(QUICK, config), options)
    runner = build_runner(cfg)
    recorder = _LossRecorder(f'distill.{CONFIGS[config]}')
    runner.register_hook(recorder)
    runner.train()
    assert len(recorder.values) == 2
    # Zipf's LS is 0 on a batch without a correctly classified sample.
    assert all(math.isfinite(v) and v >= 0 for v in recorder.values)
    assert any(v > 0 for v in recorder.values)
    loss = runner.model.distiller.distill_losses[CONFIGS[config]]
    assert type(loss).__module__.startswith('mmcls_kd.models.losses')
    if config.startswith('dkd'):
        # The first of two warm-up epochs.
        assert loss.warmup_factor == 0.5
