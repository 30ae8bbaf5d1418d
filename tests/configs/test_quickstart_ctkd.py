"""The CTKD quick start trains, and one real training step moves the
temperature the way that raises the KD loss, by the learning rate times
lambda times the loss's gradient, while the student is trained to lower it.
"""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.models.losses import ctkd_loss
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK

CONFIG = osp.join(QUICK, 'ctkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
LR = 0.05  # the quick start's, in its first epoch
NAME = 'ctkd_temperature'


@pytest.fixture(scope='module')
def confident_teacher_ckpt(tmp_path_factory):
    """The quick-start teacher with random weights and a classifier 100
    times larger: logits of a trained teacher's size (a random one's are
    near 0, where the KD loss hardly depends on the temperature)."""
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(Config.fromfile(KD_CONFIG).model.teacher)
    with torch.no_grad():
        teacher.head.fc.weight.mul_(100)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, path)
    return str(path)


class _Step(Hook):
    """The connector before the first step, the batch's recorded logits
    and the connector after it."""

    priority = 'LOW'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.before = copy.deepcopy(runner.model.distiller.connectors[NAME])

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        distiller = runner.model.distiller
        self.after = distiller.connectors[NAME]
        self.preds_S = distiller.student_recorders.get_recorder(
            'logits').get_record_data().detach()
        self.preds_T = distiller.teacher_recorders.get_recorder(
            'logits').get_record_data().detach()
        self.loss = float(outputs['distill.loss_ctkd'])
        self.optimised = {
            id(p)
            for group in runner.optim_wrapper.optimizer.param_groups
            for p in group['params']
        }


def _loss(step, temperature):
    """The KD loss of the step's batch at ``temperature``, in float64:
    one step changes it by little more than float32 rounds off."""
    with torch.no_grad():
        return ctkd_loss(step.preds_S.double(), step.preds_T.double(),
                         temperature.double()).mean().item()


def _train_one_step(tmp_path, teacher_ckpt, **options):
    options = {
        'work_dir': str(tmp_path),
        'model.teacher_ckpt': teacher_ckpt,
        'randomness.seed': 0,
        # One batch of 32: one step, whose update has no momentum yet.
        'train_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 100,
        # Without weight decay the step is the loss's gradient alone.
        'optim_wrapper.optimizer.weight_decay': 0.0,
        **options,
    }
    runner = build_runner(load_config(CONFIG, options))
    step = _Step()
    runner.register_hook(step)
    runner.train()
    return runner, step


def test_global_temperature_step(tmp_path, confident_teacher_ckpt):
    runner, step = _train_one_step(tmp_path, confident_teacher_ckpt)
    before, after = step.before, step.after
    assert id(after.raw_tau) in step.optimised
    # The quick start's curriculum: lambda 1/2 in the first of 2 epochs.
    assert after.grl_lambda == pytest.approx(0.5)
    # d(loss_ctkd)/d(t) of the step's batch, from the loss alone (weight 1).
    raw = before.raw_tau.detach().double().requires_grad_()
    tau = 1 + 20 * torch.sigmoid(raw)
    loss = ctkd_loss(step.preds_S.double(), step.preds_T.double(), tau).mean()
    assert loss.item() == pytest.approx(step.loss, rel=1e-4)
    grad, = torch.autograd.grad(loss, raw)
    assert abs(grad.item()) > 1e-4
    # SGD on the reversed gradient: t moves by +lr * lambda * dL/dt (the
    # difference is float32's rounding of t near 1).
    moved = (after.raw_tau - before.raw_tau).item()
    assert moved == pytest.approx(LR * after.grl_lambda * grad.item(),
                                  abs=3e-7)
    # ... and so the temperature raises the KD loss of the batch.
    assert _loss(step,
                 after.double()(None)) > _loss(step,
                                               before.double()(None))


def test_instance_temperature_step(tmp_path, confident_teacher_ckpt):
    key = f'model.distiller.connectors.{NAME}'
    runner, step = _train_one_step(
        tmp_path, confident_teacher_ckpt, **{
            key:
            dict(_delete_=True,
                 type='InstanceTemperature',
                 num_classes=10,
                 curriculum_epochs=2)
        })
    before, after = step.before, step.after
    assert {id(p) for p in after.parameters()} <= step.optimised
    assert after.grl_lambda == pytest.approx(0.5)
    preds_S, preds_T = step.preds_S.double(), step.preds_T.double()
    tau_before = before.double()(preds_T)(preds_S)
    tau_after = after.double()(preds_T)(preds_S)
    assert tau_before.shape == (32, )
    assert not torch.equal(tau_before, tau_after)
    # Gradient ascent of the MLP on the KD loss of the batch.
    assert _loss(step, tau_after) > _loss(step, tau_before)


def test_quick_start_trains_through_its_curriculum(tmp_path,
                                                   random_teacher_ckpt):
    """Two epochs of 64 images: lambda 1/2 then 1, finite losses."""
    options = {
        'work_dir': str(tmp_path),
        'model.teacher_ckpt': random_teacher_ckpt,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': 2,
        'train_cfg.val_interval': 100,
    }
    runner = build_runner(load_config(CONFIG, options))

    class _Losses(Hook):

        def __init__(self):
            self.seen = []

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None):
            connector = runner.model.distiller.connectors[NAME]
            self.seen.append(
                (connector.grl_lambda, float(outputs['distill.loss_ctkd'])))

    recorder = _Losses()
    runner.register_hook(recorder)
    runner.train()
    assert [lam
            for lam, _ in recorder.seen] == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert all(math.isfinite(v) and v >= 0 for _, v in recorder.seen)
