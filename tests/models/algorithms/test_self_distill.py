"""USKD and NKD wiring: soft labels from the student's batch augments reach
the losses, gradients reach the student and the weak head and never the
teacher, and self-distillation builds no teacher."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcls_kd.apis import model_config
from mmcls_kd.registry import MODELS
from tests.conftest import QUICK
from tests.models.algorithms.test_teacher_distill import _batch

USKD = osp.join(QUICK, 'uskd_resnet18-w16_1xb32_digits.py')
NKD = osp.join(QUICK, 'nkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
# Mixup alone: on 8x8 images CutMix's box is often empty, leaving one-hot
# labels, and this file asserts that the labels really are mixed.
AUGMENTS = dict(augments=[dict(type='Mixup', alpha=1.0)])


def _build(path, teacher_ckpt=None, augments=True):
    model = model_config(Config.fromfile(path))
    if augments:
        model.architecture.train_cfg = AUGMENTS
    if teacher_ckpt:
        model.teacher_ckpt = teacher_ckpt
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        built = MODELS.build(model)
    built.init_weights()
    return built


def _capture_loss_inputs(loss_module):
    seen = []

    def hook(module, args, kwargs):
        seen.append({k: v.detach().clone() for k, v in kwargs.items()})

    loss_module.register_forward_pre_hook(hook, with_kwargs=True)
    return seen


def _loss_and_grads(model, batch):
    np.random.seed(0)  # Mixup draws its ratio from numpy
    torch.manual_seed(0)
    model.train()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    model.zero_grad()
    total.backward()
    return losses


def test_uskd_builds_no_teacher_and_receives_soft_labels():
    model = _build(USKD)
    assert not hasattr(model, 'teacher')
    assert not any('teacher' in name for name, _ in model.named_modules())
    seen = _capture_loss_inputs(model.distiller.distill_losses['loss_uskd'])
    losses = _loss_and_grads(model, _batch(n=8))
    labels = seen[0]['gt_labels']
    assert labels.shape == (8, 10)
    assert torch.allclose(labels.sum(1), torch.ones(8))
    assert ((labels > 0) & (labels < 1)).any(), 'labels were not mixed'
    assert seen[0]['preds_W'].shape == (8, 10)
    assert torch.isfinite(losses['distill.loss_uskd'])


def test_uskd_gradients_reach_student_and_weak_head():
    model = _build(USKD, augments=False)
    _loss_and_grads(model, _batch(n=8))
    weak = model.distiller.connectors['weak'].fc
    assert weak.weight.grad is not None and weak.weight.grad.abs().sum() > 0
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    # The weak head lives in the distiller, outside the exported student.
    assert not any('connectors' in k for k in model.student.state_dict())


def test_nkd_receives_soft_labels_and_leaves_teacher_without_grads(
        random_teacher_ckpt):
    model = _build(NKD, teacher_ckpt=random_teacher_ckpt)
    seen = _capture_loss_inputs(model.distiller.distill_losses['loss_nkd'])
    _loss_and_grads(model, _batch(n=8))
    assert seen[0]['gt_labels'].shape == (8, 10)
    assert ((seen[0]['gt_labels'] > 0) & (seen[0]['gt_labels'] < 1)).any()
    # The teacher saw the same mixed images as the student.
    assert seen[0]['preds_T'].shape == (8, 10)
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.head.fc.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('path', [USKD, NKD])
def test_hard_labels_without_augments(path, random_teacher_ckpt):
    ckpt = random_teacher_ckpt if path == NKD else None
    model = _build(path, teacher_ckpt=ckpt, augments=False)
    name = next(iter(model.distiller.distill_losses))
    seen = _capture_loss_inputs(model.distiller.distill_losses[name])
    _loss_and_grads(model, _batch(n=4))
    assert seen[0]['gt_labels'].shape == (4, )
    assert seen[0]['gt_labels'].dtype == torch.int64
