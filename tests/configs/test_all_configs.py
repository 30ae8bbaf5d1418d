"""Every config under configs/ loads, builds its model, and takes one
training and one validation step on random inputs of its data set's shape.

Teachers get random weights through the test-only ``allow_random_teacher``
flag, never a download.
"""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from tests.conftest import REPO

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
    return 3, 64


def _num_classes(model_cfg):
    student = model_cfg.get('architecture', model_cfg)
    return student['head']['num_classes']


def _build(cfg):
    from mmcls_kd.registry import MODELS
    model = copy.deepcopy(cfg.model)
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    if model.get('data_preprocessor') is None:
        model.pop('data_preprocessor')
    if model.type == 'TeacherDistill':
        model.teacher_ckpt = None
        model.allow_random_teacher = True
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        built = MODELS.build(model)
    built.init_weights()
    return built


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_loads(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmcls_kd'
    assert cfg.model.type in ('ImageClassifier', 'TeacherDistill',
                              'SelfDistillation')
    assert cfg.train_dataloader and cfg.optim_wrapper and cfg.train_cfg


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_builds_and_steps(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(path)
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
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    model.train()
    losses = model.train_step(batch, optim)
    assert losses and all(torch.isfinite(torch.as_tensor(v))
                          for v in losses.values())
    if cfg.model.type != 'ImageClassifier':
        assert any(k.startswith('distill.') for k in losses)
    model.eval()
    outputs = model.val_step(batch)
    assert len(outputs) == 2 and outputs[0].pred_score.shape == (num_classes, )
