"""DistillLossWarmupHook: the warm-up factor follows the runner's epoch, in
a fresh run and in a resumed one, and reaches the loss."""
import logging

import pytest
import torch
from mmengine.hooks import Hook

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.engine.dist import close_process_group
from mmcls_kd.engine.hooks.loss_warmup import (DistillLossWarmupHook,
                                               warmup_losses)
from mmcls_kd.models.losses import DKDLoss, KDLoss
from tests.conftest import KD_CONFIG

WARMUP_EPOCHS = 4


class _FactorRecorder(Hook):
    """The factor the DKD loss holds during each training iteration, as
    (epoch, factor) pairs with epochs counted from 1."""

    priority = 'LOW'

    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        loss = runner.model.distiller.distill_losses['loss_dkd']
        self.seen.append((runner.epoch + 1, loss.warmup_factor))


def _runner(work_dir, teacher_ckpt, max_epochs, resume_from=None):
    options = {
        'work_dir': str(work_dir),
        'model.teacher_ckpt': teacher_ckpt,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': 100,
        # KDDistiller wires the loss to the logits and labels.
        'model.distiller.distill_losses': dict(
            _delete_=True,
            loss_dkd=dict(
                type='DKDLoss', tau=4.0, warmup_epochs=WARMUP_EPOCHS)),
    }
    if resume_from:
        options.update(resume=True, load_from=resume_from)
    runner = build_runner(load_config(KD_CONFIG, options))
    recorder = _FactorRecorder()
    runner.register_hook(recorder)
    return runner, recorder


def test_fresh_and_resumed_runs_follow_the_epoch(tmp_path,
                                                 random_teacher_ckpt):
    runner, recorder = _runner(tmp_path, random_teacher_ckpt, max_epochs=2)
    runner.train()
    # Two iterations an epoch at 64 images, batch 32.
    assert recorder.seen == [(1, 0.25), (1, 0.25), (2, 0.5), (2, 0.5)]

    # A new process resuming after epoch 2 continues at 3/4, not at 1/4.
    resumed, recorder = _runner(
        tmp_path, random_teacher_ckpt, max_epochs=3,
        resume_from=str(tmp_path / 'epoch_2.pth'))
    resumed.train()
    assert recorder.seen == [(3, 0.75), (3, 0.75)]


def test_factor_scales_the_loss_and_caps_at_one():
    generator = torch.Generator().manual_seed(0)
    preds_S = torch.randn(4, 10, generator=generator)
    preds_T = torch.randn(4, 10, generator=generator)
    labels = torch.tensor([0, 3, 5, 9])
    full = DKDLoss(tau=4.0)(preds_S, preds_T, labels)
    loss = DKDLoss(tau=4.0, warmup_epochs=WARMUP_EPOCHS)
    model = torch.nn.ModuleDict(dict(warm=loss, plain=KDLoss()))

    class _Runner:
        epoch = 0
        logger = logging.getLogger('test')

    runner = _Runner()
    runner.model = model
    hook = DistillLossWarmupHook()
    for epoch, factor in [(0, 0.25), (1, 0.5), (3, 1.0), (7, 1.0)]:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert loss.warmup_factor == factor
        assert loss(preds_S, preds_T, labels).item() == pytest.approx(
            factor * full.item(), rel=1e-6)
    # Only losses that ask for a warm-up are touched.
    assert [name for name, _ in warmup_losses(model)] == ['warm']


def _reach_inside_ddp(model, loss):
    from torch.nn.parallel import DistributedDataParallel
    wrapped = DistributedDataParallel(model)
    # Names relative to the wrapped model, as without the wrapper.
    assert warmup_losses(wrapped) == [('dkd', loss)]

    class _Runner:
        epoch = 0
        logger = logging.getLogger('test')

    _Runner.model = wrapped
    DistillLossWarmupHook().before_train_epoch(_Runner)
    assert loss.warmup_factor == 0.5


def test_hook_reaches_losses_inside_ddp(tmp_path):
    import torch.distributed as dist
    loss = DKDLoss(warmup_epochs=2)
    model = torch.nn.ModuleDict(dict(fc=torch.nn.Linear(3, 3), dkd=loss))
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0,
        world_size=1)
    try:
        # In a function of its own: the DDP wrapper, which holds the group,
        # is gone when the group is closed, and gloo's threads end with it.
        _reach_inside_ddp(model, loss)
    finally:
        close_process_group()


def test_loss_warns_without_the_hook():
    loss = DKDLoss(warmup_epochs=3)
    preds = torch.randn(2, 5)
    with pytest.warns(UserWarning, match='DistillLossWarmupHook'):
        value = loss(preds, preds.flip(1), torch.tensor([0, 1]))
    assert loss.warmup_factor == 1.0
    assert torch.isfinite(value)


def test_iteration_based_training_is_refused():
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

    class _Runner:
        model = torch.nn.ModuleDict(dict(dkd=DKDLoss(warmup_epochs=2)))
        logger = logging.getLogger('test')

    runner = _Runner()
    runner.train_loop = object.__new__(IterBasedTrainLoop)
    with pytest.raises(ValueError, match='iteration-based'):
        DistillLossWarmupHook().before_train(runner)
    runner.train_loop = object.__new__(EpochBasedTrainLoop)
    DistillLossWarmupHook().before_train(runner)
