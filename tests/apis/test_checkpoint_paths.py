"""A missing local checkpoint (a pretrained backbone, a teacher) stops a run
before anything is built, naming the config key and the file; remote names
are left to MMEngine's loader."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmcls_kd.apis import build_runner, check_checkpoint_paths, load_config
from tests.conftest import KD_CONFIG, STUDENT_CONFIG


def _model(**model):
    return Config(dict(model=model))


def _error(cfg) -> str:
    with pytest.raises(FileNotFoundError) as err:
        check_checkpoint_paths(cfg)
    return str(err.value)


def test_missing_backbone_checkpoint_names_key_and_file(tmp_path):
    path = str(tmp_path / 'backbone.pth')
    message = _error(_model(
        type='MaskRCNN',
        backbone=dict(type='ResNet', depth=50,
                      init_cfg=dict(type='Pretrained', checkpoint=path))))
    assert message.startswith(
        'model.backbone.init_cfg.checkpoint does not exist: ' + path)
    assert '--cfg-options model.backbone.init_cfg.checkpoint=PATH' in message


def test_init_cfg_lists_and_scoped_types_are_searched(tmp_path):
    path = str(tmp_path / 'neck.pth')
    init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                dict(type='mmengine.Pretrained', checkpoint=path)]
    message = _error(_model(
        type='ImageClassifier', backbone=dict(type='ResNet'),
        neck=dict(type='GlobalAveragePooling', init_cfg=init_cfg)))
    assert message.startswith(
        f'model.neck.init_cfg.1.checkpoint does not exist: {path}')


def test_missing_teacher_checkpoint_is_named(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    message = _error(_model(
        type='SingleTeacherDistill', teacher_ckpt=path,
        architecture=dict(type='ImageClassifier')))
    assert message.startswith(f'model.teacher_ckpt does not exist: {path}')


def test_relative_paths_name_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _model(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint='work_dirs/run/backbone.pth')))
    message = _error(cfg)
    assert 'work_dirs/run/backbone.pth (relative to the working directory ' \
        f'{tmp_path})' in message
    (tmp_path / 'work_dirs' / 'run').mkdir(parents=True)
    (tmp_path / 'work_dirs' / 'run' / 'backbone.pth').write_bytes(b'')
    check_checkpoint_paths(cfg)


@pytest.mark.parametrize('checkpoint', [
    'torchvision://resnet50',
    'open-mmlab://resnet50_caffe',
    'openmmlab://resnet50',
    'mmcls://resnet50',
    'https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
    's3://bucket/resnet50.pth',
])
def test_remote_checkpoints_are_left_to_the_loader(checkpoint):
    check_checkpoint_paths(_model(
        backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
        teacher_ckpt=checkpoint))


def test_other_initialisers_and_existing_files_pass(tmp_path):
    path = tmp_path / 'backbone.pth'
    path.write_bytes(b'')
    check_checkpoint_paths(_model(
        backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=str(path))),
        head=dict(init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
        teacher_ckpt=None))
    check_checkpoint_paths(Config(dict(work_dir=str(tmp_path))))


def test_build_runner_checks_checkpoints_before_building(tmp_path):
    path = str(tmp_path / 'gone.pth')
    cfg = load_config(STUDENT_CONFIG, {
        'model.backbone.init_cfg': dict(type='Pretrained', checkpoint=path),
        'work_dir': str(tmp_path / 'work')})
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        build_runner(cfg)
    assert not (tmp_path / 'work').exists()


def test_quickstart_without_its_teacher_is_named(tmp_path, monkeypatch):
    """The quick-start KD config's teacher is a run of the quick start's
    first step; skipping that step names the file to train first."""
    monkeypatch.chdir(tmp_path)
    cfg = load_config(KD_CONFIG, {'work_dir': str(tmp_path / 'work')})
    teacher = cfg.model.teacher_ckpt
    assert not osp.isabs(teacher)
    with pytest.raises(FileNotFoundError) as err:
        build_runner(cfg)
    assert str(err.value).startswith(
        f'model.teacher_ckpt does not exist: {teacher}')
    assert not (tmp_path / 'work').exists()
