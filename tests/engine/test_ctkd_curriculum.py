"""CTKDCurriculumHook: the gradient reversal weight follows the runner's
epoch, in a fresh run and in a resumed one, and reaches the connector."""
import logging
import math
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.engine.dist import close_process_group
from mmcls_kd.engine.hooks.ctkd_curriculum import (CTKDCurriculumHook,
                                                   curriculum_modules)
from mmcls_kd.models.connectors import GlobalTemperature, InstanceTemperature
from tests.conftest import QUICK

CONFIG = osp.join(QUICK, 'ctkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
CURRICULUM_EPOCHS = 4


def _paper_lambda(n, loops, low=0.0, high=1.0):
    """Eq. 11 of arXiv 2211.16231 at epoch ``n``."""
    return low + 0.5 * (high - low) * (1 + math.cos(
        (1 + min(n, loops) / loops) * math.pi))


class _Runner:
    epoch = 0
    logger = logging.getLogger('test')


def test_lambda_at_epochs_zero_half_full_and_after():
    connector = GlobalTemperature(lambda_min=0.1,
                                  lambda_max=0.9,
                                  curriculum_epochs=CURRICULUM_EPOCHS,
                                  first_epoch=0)
    official = GlobalTemperature(curriculum_epochs=CURRICULUM_EPOCHS)
    runner = _Runner()
    runner.model = torch.nn.ModuleDict(
        dict(tau=connector, official=official, fc=torch.nn.Linear(2, 2)))
    hook = CTKDCurriculumHook()
    half = CURRICULUM_EPOCHS // 2
    for epoch, expected in [(0, 0.1), (half, 0.5), (CURRICULUM_EPOCHS, 0.9),
                            (CURRICULUM_EPOCHS + 3, 0.9)]:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert connector.grl_lambda == pytest.approx(expected, abs=1e-12)
        # The official code counts epochs from 1: a step ahead.
        assert official.grl_lambda == pytest.approx(_paper_lambda(
            epoch + 1, CURRICULUM_EPOCHS),
                                                    abs=1e-12)
    # Only the connectors with a curriculum are touched.
    assert [name for name, _ in curriculum_modules(runner.model)
            ] == ['tau', 'official']


def _reach_inside_ddp(model, connector):
    from torch.nn.parallel import DistributedDataParallel
    wrapped = DistributedDataParallel(model)
    assert curriculum_modules(wrapped) == [('tau', connector)]
    runner = _Runner()
    runner.model = wrapped
    CTKDCurriculumHook().before_train_epoch(runner)
    assert connector.grl_lambda == pytest.approx(0.5, abs=1e-12)


def test_hook_reaches_connectors_inside_ddp(tmp_path):
    import torch.distributed as dist
    connector = InstanceTemperature(num_classes=3, curriculum_epochs=2)
    model = torch.nn.ModuleDict(dict(fc=torch.nn.Linear(3, 3), tau=connector))
    dist.init_process_group('gloo',
                            init_method=f'file://{tmp_path}/store',
                            rank=0,
                            world_size=1)
    try:
        # In a function of its own: the DDP wrapper, which holds the group,
        # is gone when the group is closed, and gloo's threads end with it.
        _reach_inside_ddp(model, connector)
    finally:
        close_process_group()


def test_iteration_based_training_is_refused():
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
    runner = _Runner()
    runner.model = torch.nn.ModuleDict(dict(tau=GlobalTemperature()))
    runner.train_loop = object.__new__(IterBasedTrainLoop)
    with pytest.raises(ValueError, match='iteration-based'):
        CTKDCurriculumHook().before_train(runner)
    runner.train_loop = object.__new__(EpochBasedTrainLoop)
    CTKDCurriculumHook().before_train(runner)
    # A model without a curriculum trains iteration-based as before.
    runner.model = torch.nn.Linear(2, 2)
    runner.train_loop = object.__new__(IterBasedTrainLoop)
    CTKDCurriculumHook().before_train(runner)


class _LambdaRecorder(Hook):
    """The reversal weight and the temperature parameter the connector
    holds during each training iteration, with epochs counted from 1."""

    priority = 'LOW'

    def __init__(self):
        self.seen = []
        self.raw_before = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        connector = runner.model.distiller.connectors['ctkd_temperature']
        self.raw_before.append(connector.raw_tau.item())

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        connector = runner.model.distiller.connectors['ctkd_temperature']
        self.seen.append((runner.epoch + 1, connector.grl_lambda))


def _runner(work_dir, teacher_ckpt, max_epochs, resume_from=None):
    options = {
        'work_dir':
        str(work_dir),
        'model.teacher_ckpt':
        teacher_ckpt,
        'train_dataloader.dataset.indices':
        64,
        'train_cfg.max_epochs':
        max_epochs,
        'train_cfg.val_interval':
        100,
        'model.distiller.connectors.ctkd_temperature.curriculum_epochs':
        CURRICULUM_EPOCHS,
    }
    if resume_from:
        options.update(resume=True, load_from=resume_from)
    runner = build_runner(load_config(CONFIG, options))
    recorder = _LambdaRecorder()
    runner.register_hook(recorder)
    return runner, recorder


def test_fresh_and_resumed_runs_follow_the_epoch(tmp_path,
                                                 random_teacher_ckpt):
    runner, recorder = _runner(tmp_path, random_teacher_ckpt, max_epochs=2)
    assert any(isinstance(h, CTKDCurriculumHook) for h in runner.hooks)
    runner.train()
    # Two iterations an epoch at 64 images, batch 32; epochs counted from 1
    # as the official code does.
    lambdas = [_paper_lambda(n, CURRICULUM_EPOCHS) for n in (1, 2, 3)]
    assert recorder.seen == [(1, lambdas[0]), (1, lambdas[0]), (2, lambdas[1]),
                             (2, lambdas[1])]
    trained = runner.model.distiller.connectors[
        'ctkd_temperature'].raw_tau.item()
    assert trained != 1.0

    # A new process resuming after epoch 2 continues at lambda_3, with the
    # temperature where it was.
    resumed, recorder = _runner(tmp_path,
                                random_teacher_ckpt,
                                max_epochs=3,
                                resume_from=str(tmp_path / 'epoch_2.pth'))
    resumed.train()
    assert recorder.seen == [(3, lambdas[2]), (3, lambdas[2])]
    assert recorder.raw_before[0] == trained
