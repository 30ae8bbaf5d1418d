"""Every config under configs/ loads, builds its model, and takes one
training and one validation step on random inputs of its data set's shape.

Teachers get random weights through the test-only ``allow_random_teacher``
flag, never a download.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcls_kd.apis import build_model
from mmcls_kd.models.algorithms.teacher_input import is_timm
from tests.conftest import REPO, parsed_config

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p and osp.basename(p) != '__init__.py'
    and f'{osp.sep}downstream{osp.sep}' not in p)


def _rel(path):
    return osp.relpath(path, REPO)


def _input_shape(cfg):
    """(channels, size) of the images the config trains on, kept small
    where the network does not fix its input size."""
    name = osp.basename(cfg.filename)
    if 'digits' in name:
        return 1, 8
    if 'cifar' in name:
        return 3, 32
    if 'deit' in name or 'swin' in name or 'vit' in name:
        return 3, 224
    # A timm teacher takes its own size, resized from the student's.
    return 3, 64


def _num_classes(model_cfg):
    student = model_cfg.get('architecture', model_cfg)
    if student['type'] == 'TimmClassifier':
        return student['num_classes']
    return student['head']['num_classes']


def _optim_wrapper(cfg, model):
    """The config's own optimizer wrapper where it names one (DOT's takes
    the losses by term), else plain SGD."""
    if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
        return OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return build_optim_wrapper(model, cfg.optim_wrapper)


def _build(cfg):
    if cfg.model.type == 'TeacherDistill':
        cfg.model.teacher_ckpt = None
        cfg.model.allow_random_teacher = True
        if cfg.model.teacher.type == 'TimmClassifier':
            # timm would download its weights.
            cfg.model.teacher.pretrained = False
    return build_model(cfg)


# Losses whose preds_S / preds_T are logits and gt_labels the labels.
LOGIT_LOSSES = ('KDLoss', 'KLDivergence', 'DKDLoss', 'NKDLoss', 'WSLDLoss',
                'NormKDLoss', 'USKDLoss', 'TfKDRegLoss', 'ZipfLSLoss',
                'MLKDLoss', 'DISTLoss', 'WTTMLoss', 'CTKDLoss')


def _capture_head_outputs(model):
    """The logits each classification head computes in the training
    step, captured at the head itself (what a logit recorder must see)."""
    outputs = {}
    sides = [('student', model.architecture)]
    if getattr(model, 'teacher', None) is not None:
        sides.append(('teacher', model.teacher))
    for side, network in sides:
        # A timm network's output is its logits.
        head = network.model if is_timm(network) else network.head
        head.register_forward_hook(
            lambda module, args, out, side=side: outputs.update({side: out}))
    return outputs


def _check_logit_wiring(model, heads, batch):
    """Every logit loss reads the heads' logits and the batch's labels:
    a mapping wired to another record fails here."""
    distiller = model.distiller
    for name, mapping in distiller.loss_forward_mappings.items():
        loss = distiller.distill_losses[name]
        if type(loss).__name__ not in LOGIT_LOSSES:
            continue
        for arg, record in mapping.items():
            if record.get('connector'):
                continue
            value = distiller.get_record(**record)
            if arg in ('preds_S', 'preds_T'):
                side = 'student' if arg == 'preds_S' else 'teacher'
                if side == 'teacher' and 'teacher' not in heads:
                    continue
                assert torch.equal(value, heads[side]), (name, arg)
            elif arg == 'gt_labels' and value.dim() == 2:
                # Mixup/CutMix scores: a distribution per image.
                assert value.min() >= 0, (name, arg)
                torch.testing.assert_close(
                    value.sum(1), torch.ones(len(value)), msg=(name, arg))
            elif arg == 'gt_labels':
                labels = torch.stack([s.gt_label for s in
                                      batch['data_samples']]).view(-1)
                assert torch.equal(value.view(-1), labels), (name, arg)


def _views(batch, num_views):
    """The batch as MMPretrain's MultiView transform and the default
    collate give it: a list of views, each a list of images."""
    if num_views == 1:
        return batch
    return dict(batch, inputs=[list(batch['inputs'])] + [
        [image.flip(-1) for image in batch['inputs']]
        for _ in range(num_views - 1)
    ])


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_loads(path):
    cfg = parsed_config(path)
    assert cfg.default_scope == 'mmcls_kd'
    assert cfg.model.type in ('ImageClassifier', 'TimmClassifier',
                              'TeacherDistill', 'SelfDistillation')
    assert cfg.train_dataloader and cfg.optim_wrapper and cfg.train_cfg


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_builds_and_steps(path):
    torch.manual_seed(0)
    cfg = parsed_config(path)
    model = _build(cfg)
    channels, size = _input_shape(cfg)
    num_classes = _num_classes(cfg.model)
    batch = dict(
        inputs=[torch.randint(0, 256, (channels, size, size),
                              dtype=torch.uint8) for _ in range(2)],
        # sample_idx: what CRDDataset adds and CRD's memory bank reads; the
        # other methods ignore it.
        data_samples=[DataSample(metainfo=dict(sample_idx=i)).set_gt_label(
            i % num_classes) for i in range(2)])
    optim = _optim_wrapper(cfg, model)
    model.train()
    distilled = cfg.model.type in ('TeacherDistill', 'SelfDistillation')
    heads = _capture_head_outputs(model) if distilled else None
    # MLKD's data preprocessor takes two views of each training image.
    train_batch = _views(batch,
                         getattr(model.data_preprocessor, 'num_views', 1))
    losses = model.train_step(train_batch, optim)
    assert losses and all(torch.isfinite(torch.as_tensor(v))
                          for v in losses.values())
    if distilled:
        assert any(k.startswith('distill.') for k in losses)
        _check_logit_wiring(model, heads, batch)
    if getattr(optim, 'takes_loss_terms', False):
        # DOT: the distillation gradient got a momentum buffer of its own.
        assert any('momentum_kd_buffer' in state
                   for state in optim.optimizer.state.values())
    model.eval()
    outputs = model.val_step(batch)
    assert len(outputs) == 2 and outputs[0].pred_score.shape == (num_classes, )
