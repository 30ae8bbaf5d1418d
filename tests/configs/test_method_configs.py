"""The ImageNet and CIFAR-100 configs of NKD and USKD start training when
their data are present (tiny data written in the real formats)."""
import glob
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope

from tests.conftest import REPO, run_tool
from tests.data_utils import write_cifar100, write_imagenet

IN1K = {
    'configs/baseline/resnet18_8xb32_in1k.py': None,
    'configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py': 'loss_nkd',
    'configs/uskd/uskd_resnet18_8xb32_in1k.py': 'loss_uskd',
    'configs/uskd/uskd_deit-tiny_4xb256_in1k.py': 'loss_uskd',
}


def _loader_options(root, batch=2):
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={root}',
                    f'{loader}.batch_size={batch}',
                    f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options


@pytest.fixture(scope='module')
def resnet34_ckpt(tmp_path_factory):
    from mmcls_kd.registry import MODELS
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=34, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=512))
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(cfg)
    path = tmp_path_factory.mktemp('r34') / 'resnet34.pth'
    torch.save({'state_dict': teacher.state_dict()}, path)
    return str(path)


def _scalars(work_dir):
    rows = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return rows


@pytest.mark.slow
@pytest.mark.parametrize('config', sorted(IN1K))
def test_imagenet_config_trains(config, tmp_path, resnet34_ckpt):
    root = write_imagenet(tmp_path / 'imagenet')
    work = tmp_path / 'work'
    options = _loader_options(root) + [
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
    ]
    if 'nkd' in config:
        options.append(f'model.teacher_ckpt={resnet34_ckpt}')
    if 'deit' in config:
        # Its warm-up ends and its cosine starts at epoch 20: shrink both.
        options += ['param_scheduler.0.end=1', 'param_scheduler.1.begin=0']
    run_tool(['tools/train.py', osp.join(REPO, config), '--work-dir',
              str(work), '--cfg-options'] + options)
    rows = _scalars(work)
    train = [r for r in rows if 'loss' in r]
    assert len(train) == 2
    loss_key = IN1K[config]
    if loss_key:
        values = [r[f'distill.{loss_key}'] for r in train]
        assert all(math.isfinite(v) and v > 0 for v in values)
    assert any('accuracy/top1' in r for r in rows)
    assert (work / 'epoch_1.pth').exists()


@pytest.mark.slow
def test_cifar100_config_trains(tmp_path, monkeypatch):
    from mmpretrain.datasets import CIFAR100

    from mmcls_kd.apis import build_runner, load_config
    root = write_cifar100(tmp_path / 'cifar100')
    # The real archive's checksums cannot match tiny data; everything else
    # (pickle layout, labels, pipeline) is the real reader's.
    monkeypatch.setattr(CIFAR100, '_check_integrity', lambda self: True)
    options = dict(o.split('=', 1) for o in _loader_options(root))
    options = {k: (int(v) if v.isdigit() else
                   (False if v == 'False' else v)) for k, v in options.items()}
    options.update({'train_cfg.max_epochs': 1,
                    'work_dir': str(tmp_path / 'work'),
                    'default_hooks.logger.interval': 1})
    cfg = load_config(
        osp.join(REPO, 'configs/uskd/uskd_resnet18_8xb16_cifar100.py'),
        options)
    runner = build_runner(cfg)
    runner.train()
    rows = _scalars(tmp_path / 'work')
    losses = [r['distill.loss_uskd'] for r in rows if 'distill.loss_uskd' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    weak = runner.model.distiller.connectors['weak']
    assert weak.fc.in_features == 256 and weak.fc.out_features == 100
