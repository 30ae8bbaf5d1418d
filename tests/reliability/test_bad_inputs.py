"""Bad inputs a user can hand a run: each ends in one error that names the
culprit."""
import copy
import inspect

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import mmcls_kd.models.losses as losses
from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.engine import KDRunner
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, STUDENT_CONFIG
from tests.data_utils import write_imagenet
from tests.reliability.helpers import (FEATURE_CASES, LABEL_ARG, NKD_CONFIG,
                                       build_loss_or_skip, write_config)

NUM_CLASSES = 10


def _build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(model_cfg)


def _model_cfg(config, **changes):
    model = copy.deepcopy(Config.fromfile(config).model)
    model.update(changes)
    return model


def _batch(labels):
    inputs = torch.randn(len(labels), 1, 8, 8)
    return inputs, [DataSample().set_gt_label(int(i)) for i in labels]


def _runner(tmp_path, config=STUDENT_CONFIG, **options):
    cfg = load_config(config, {
        'work_dir': str(tmp_path),
        'experiment_name': tmp_path.name,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': 1,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        **options
    })
    return build_runner(cfg)


# A corrupted image names its file, in the main process and from a worker.


@pytest.mark.parametrize('num_workers', [0, 1])
def test_corrupted_image_names_the_file(tmp_path, num_workers):
    root = write_imagenet(tmp_path / 'data', num_images=4, num_classes=3,
                          size=16)
    corrupted = tmp_path / 'data' / 'train' / 'n00000000' / 'train_1.JPEG'
    data = corrupted.read_bytes()
    # Truncated: the JPEG header is fine, the image data stops half way.
    corrupted.write_bytes(data[:len(data) // 2])
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        loader = KDRunner.build_dataloader(
            dict(
                batch_size=2,
                num_workers=num_workers,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='CustomDataset',
                    data_root=root,
                    ann_file='meta/train.txt',
                    data_prefix='train',
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='PackInputs')
                    ])))
    with pytest.raises(Exception) as err:
        for _ in loader:
            pass
    assert str(corrupted) in str(err.value)


# A label out of range.


LABEL_LOSSES = [
    name for name in losses.__all__
    if name.endswith('Loss') and LABEL_ARG in inspect.signature(
        getattr(losses, name).forward).parameters
]


@pytest.mark.parametrize('name', LABEL_LOSSES)
def test_loss_names_a_label_out_of_range(name):
    if name in FEATURE_CASES:
        loss, inputs, others = FEATURE_CASES[name](
            torch.Generator().manual_seed(0))
        inputs.update(others)
        inputs[LABEL_ARG] = torch.tensor([0, 1, 12, 3, 4, 5, 6, 7])
    else:
        loss, args = build_loss_or_skip(name)
        inputs = {arg: torch.randn(4, NUM_CLASSES) for arg in args}
        inputs[LABEL_ARG] = torch.tensor([0, 1, 12, 3])
    with pytest.raises(ValueError) as err:
        loss(**inputs)
    assert '12' in str(err.value) and f'{NUM_CLASSES})' in str(err.value)


def test_head_cross_entropy_names_a_label_out_of_range():
    student = _build(_model_cfg(STUDENT_CONFIG))
    with pytest.raises(IndexError, match='Target 12 is out of bounds'):
        student.loss(*_batch([1, 2, 3, 12]))


# A teacher whose class count differs from the student's.


def _teacher_with_100_classes(config):
    model = _model_cfg(config, teacher_ckpt=None, allow_random_teacher=True)
    model['teacher']['head']['num_classes'] = 100
    return model


@pytest.mark.parametrize('config', [KD_CONFIG, NKD_CONFIG])
def test_teacher_distill_refuses_a_teacher_with_other_classes(config):
    with pytest.raises(ValueError) as err:
        _build(_teacher_with_100_classes(config))
    assert 'num_classes' in str(err.value)
    assert str(NUM_CLASSES) in str(err.value) and '100' in str(err.value)


# Wiring mistakes in a distiller config.


def _nkd_with_recorder_source(source):
    model = _model_cfg(NKD_CONFIG, teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller']['student_recorders'] = dict(logits=dict(source=source))
    return model


def test_recorder_source_error_suggests_the_nearest_module():
    with pytest.raises(ValueError, match=r"'head\.fcc'.*nearest.*head\.fc\b"):
        _build(_nkd_with_recorder_source('head.fcc'))


def test_loss_forward_mapping_with_an_unknown_argument_is_named():
    model = _model_cfg(NKD_CONFIG, teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller']['loss_forward_mappings'] = dict(
        loss_nkd=dict(preds_X=dict(from_student=True, recorder='logits')))
    with pytest.raises(AssertionError) as err:
        _build(model)
    assert 'preds_X' in str(err.value) and 'NKDLoss' in str(err.value)


def test_misspelt_loss_option_is_named():
    model = _model_cfg(NKD_CONFIG, teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller']['distill_losses']['loss_nkd']['gama'] = 2.0
    with pytest.raises(TypeError, match="'gama'"):
        _build(model)


def test_loss_hyper_parameter_out_of_range_is_named():
    # gamma=-1.5 would train a diverging loss.
    model = _model_cfg(NKD_CONFIG,
                       teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller']['distill_losses']['loss_nkd']['gamma'] = -1.5
    with pytest.raises(ValueError) as err:
        _build(model)
    assert str(err.value) == 'NKDLoss: gamma must be >= 0, got -1.5'


# Data sets without samples.


def test_empty_data_set_is_named(tmp_path):
    runner = _runner(tmp_path, **{'train_dataloader.dataset.indices': 0})
    with pytest.raises(ValueError) as err:
        runner.train()
    assert 'Digits' in str(err.value) and 'no samples' in str(err.value)
    assert 'indices=0' in str(err.value)


def test_empty_annotation_file_is_named(tmp_path):
    (tmp_path / 'data' / 'meta').mkdir(parents=True)
    (tmp_path / 'data' / 'meta' / 'train.txt').write_text('')
    with pytest.raises(ValueError) as err:
        with DefaultScope.overwrite_default_scope('mmcls_kd'):
            KDRunner.build_dataloader(
                dict(batch_size=2, sampler=dict(type='DefaultSampler'),
                     dataset=dict(type='CustomDataset',
                                  data_root=str(tmp_path / 'data'),
                                  ann_file='meta/train.txt', pipeline=[])))
    assert 'CustomDataset' in str(err.value)
    assert "ann_file='meta/train.txt'" in str(err.value)


def test_batch_larger_than_the_data_set_with_drop_last_is_named(tmp_path):
    runner = _runner(tmp_path, **{'train_dataloader.batch_size': 128,
                                  'train_dataloader.drop_last': True})
    with pytest.raises(ValueError, match='yields no batch: 64 samples'):
        runner.train()


# NaN in a loss term.


def test_nan_in_a_distillation_term_names_iteration_and_term(
        tmp_path, random_teacher_ckpt):
    checkpoint = torch.load(random_teacher_ckpt)
    checkpoint['state_dict']['head.fc.weight'][:] = float('nan')
    nan_teacher = tmp_path / 'nan_teacher.pth'
    torch.save(checkpoint, nan_teacher)
    runner = _runner(tmp_path / 'run', NKD_CONFIG,
                     **{'model.teacher_ckpt': str(nan_teacher)})
    with pytest.raises(FloatingPointError) as err:
        runner.train()
    message = str(err.value)
    assert 'non-finite loss at iteration 1 ' in message
    assert 'distill.loss_nkd=nan' in message
    assert 'student.loss' not in message


# DOT with what it cannot train.


@pytest.mark.parametrize('config, optimizer, match', [
    # A plain classifier has no distillation losses to keep apart.
    (STUDENT_CONFIG, "type='SGD', lr=0.01, momentum=0.9",
     'the model ImageClassifier gives one summed loss, not its losses by '
     'term'),
    (KD_CONFIG, "type='Adam', lr=0.001",
     'the base optimizer must be torch.optim.SGD with momentum, got Adam'),
], ids=['classifier', 'adam'])
def test_dot_refuses_before_training(tmp_path, random_teacher_ckpt, config,
                                     optimizer, match):
    dot = write_config(
        tmp_path / 'dot.py', config,
        "optim_wrapper = dict(type='DOTOptimWrapper', optimizer=dict("
        f'_delete_=True, {optimizer}))\n')
    options = {} if config == STUDENT_CONFIG else {
        'model.teacher_ckpt': random_teacher_ckpt}
    runner = _runner(tmp_path / 'run', dot, **options)
    with pytest.raises(ValueError, match=match):
        runner.train()
    assert runner.iter == 0
