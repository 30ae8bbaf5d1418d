"""Bad inputs a user can hand a run: each ends in one error that names the
culprit."""
import copy
import inspect
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import mmcls_kd.models.losses as losses
from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.engine import KDRunner
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK, STUDENT_CONFIG
from tests.data_utils import write_imagenet
from tests.reliability.helpers import (FEATURE_CASES, LABEL_ARG, NKD_CONFIG,
                                       build_loss_or_skip, write_config)

NUM_CLASSES = 10
TIMM_NKD_CONFIG = f'{QUICK}/nkd_timm-resnet18_resnet18-w16_1xb32_digits.py'


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


def _timm_teacher_config(num_classes):
    model = _model_cfg(TIMM_NKD_CONFIG, teacher_ckpt=None,
                       allow_random_teacher=True)
    model['teacher']['num_classes'] = num_classes
    return model


def test_teacher_distill_refuses_a_timm_teacher_with_other_classes():
    pytest.importorskip('timm')
    with pytest.raises(ValueError) as err:
        _build(_timm_teacher_config(1000))
    message = str(err.value)
    assert 'teacher predicts num_classes=1000' in message
    assert "timm network's model.num_classes" in message
    assert f'student num_classes={NUM_CLASSES}' in message


# Wiring mistakes in a distiller config.


def _nkd_with_recorder_source(source):
    model = _model_cfg(NKD_CONFIG, teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller']['student_recorders'] = dict(logits=dict(source=source))
    return model


def test_recorder_source_error_suggests_the_nearest_module():
    with pytest.raises(ValueError, match=r"'head\.fcc'.*nearest.*head\.fc\b"):
        _build(_nkd_with_recorder_source('head.fcc'))


def test_timm_recorder_source_error_suggests_the_nearest_module():
    pytest.importorskip('timm')
    model = _timm_teacher_config(NUM_CLASSES)
    model['distiller']['teacher_recorders'] = dict(
        feat=dict(type='ModuleOutputs', source='model.layer4.1.conv3'))
    with pytest.raises(ValueError, match=r"'model\.layer4\.1\.conv3'.*"
                       r'nearest.*model\.layer4\.1\.conv[12]\b'):
        _build(model)


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


# MLKD without its two views (weak and strong) of each training image.

MLKD_CONFIG = osp.join(QUICK, 'mlkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
MLKD_NAMED = (r'model\.distiller\.distill_losses\.loss_mlkd \(MLKDLoss\) '
              r'reads 2 views of each training image, and ')


def test_mlkd_with_a_one_view_pipeline_stops_before_training(
        tmp_path, random_teacher_ckpt):
    one_view = [dict(type='RandomCrop', crop_size=8, padding=1),
                dict(type='PackInputs')]
    with pytest.raises(ValueError,
                       match=MLKD_NAMED + r'train_dataloader\.dataset\.'
                       r'pipeline gives 1: wrap its augmentations in '
                       r"MMPretrain's MultiView transform"):
        _runner(tmp_path, MLKD_CONFIG, **{
            'model.teacher_ckpt': random_teacher_ckpt,
            'train_dataloader.dataset.pipeline': one_view
        })


def test_mlkd_with_a_one_view_preprocessor_stops_before_training(
        tmp_path, random_teacher_ckpt):
    with pytest.raises(ValueError,
                       match=MLKD_NAMED + r'the data preprocessor '
                       r'\(ClsDataPreprocessor\) hands the model 1: set '
                       r"data_preprocessor=dict\(type='MultiViewData"):
        _runner(tmp_path, MLKD_CONFIG, **{
            'model.teacher_ckpt': random_teacher_ckpt,
            'data_preprocessor':
            dict(_delete_=True, type='ClsDataPreprocessor', num_classes=10,
                 mean=[78.1], std=[96.1], to_rgb=False)
        })
    # Built without the runner's checks: the model refuses it too.
    with pytest.raises(ValueError,
                       match=r'loss_mlkd \(MLKDLoss\) reads 2 views of each '
                       r'training image, and the data preprocessor '
                       r'\(ClsDataPreprocessor\) hands the model 1'):
        _build(_model_cfg(MLKD_CONFIG, teacher_ckpt=None,
                          allow_random_teacher=True))


# A recorded feature of the wrong shape: the loss (or its connector) names
# the shapes, the distiller the loss and the recorders.


def _quick(method):
    from tests.conftest import QUICK
    return f'{QUICK}/{method}_resnet34-w32_resnet18-w16_1xb32_digits.py'


def _stages(*sources):
    return [dict(type='ModuleOutputs', source=s) for s in sources]


@pytest.mark.parametrize('method,side,recorders,message', [
    ('ab', 'student', dict(s2=dict(source='backbone.layer3.1.relu')),
     r"loss_ab2: input preds_S from the student recorder 's2' "
     r"\(backbone\.layer3\.1\.relu\) through the connector 'ab2': "
     r"OFDConnector expects an \(N, 32, H, W\) feature, got \(4, 64, 2, 2\)"),
    ('ft', 'teacher', dict(feat=dict(source='backbone.layer4')),
     r"loss_ft: input preds_T from the teacher recorder 'feat' "
     r"\(backbone\.layer4\) through the connector 'ft_paraphraser': "
     r"FTParaphraser expects an \(N, 128, H, W\) feature, got "
     r"\(4, 256, 1, 1\)"),
    ('nst', 'student', dict(s3=dict(source='head.fc')),
     r"loss_nst3 \(preds_S \(4, 10\) from the student recorder 's3' "
     r"\(head\.fc\); .*\): NSTLoss: expected .* got student \(4, 10\) and "
     r"teacher \(4, 128, 2, 2\)"),
    ('fsp', 'teacher', dict(feats=dict(recorders=_stages(
        'backbone.layer1', 'backbone.layer3', 'backbone.layer3'))),
     r"loss_fsp \(.* from the teacher recorder 'feats' \(backbone\.layer1, "
     r"backbone\.layer3, backbone\.layer3\)\): FSPLoss: student feature 1 "
     r"\(4, 64, 2, 2\) must have the \(N, C\) of teacher feature 1 "
     r"\(4, 128, 2, 2\)"),
    ('kdsvd', 'student', dict(feats=dict(recorders=_stages(
        'backbone.layer1', 'backbone.layer3', 'backbone.layer4'))),
     r"loss_kdsvd \(preds_S .* from the student recorder 'feats' "
     r"\(backbone\.layer1, backbone\.layer3, backbone\.layer4\); .*\): "
     r"KDSVDLoss: student feature 0 \(4, 16, 8, 8\) must have the \(N, C\)"
     r" of teacher feature 0 \(4, 32, 8, 8\)"),
])
def test_recorded_feature_of_the_wrong_shape_names_recorder_and_shapes(
        method, side, recorders, message):
    model = _model_cfg(_quick(method), teacher_ckpt=None,
                       allow_random_teacher=True)
    model['distiller'][f'{side}_recorders'].update(recorders)
    with pytest.raises(ValueError, match=message):
        _build(model)(*_batch([0, 1, 2, 3]), mode='loss')


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
