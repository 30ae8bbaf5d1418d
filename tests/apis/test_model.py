"""build_model: the model of a config as the runner builds it (the top-level
data preprocessor handed to the model, and by an algorithm to its student),
its checkpoint loaded strictly with one report of what does not fit."""
import copy

import pytest
import torch
from mmengine.config import Config

from mmcls_kd.apis import build_model, model_config
from tests.checkpoint.test_student import USKD_CONFIG, randomize_norms
from tests.conftest import STUDENT_CONFIG


def test_the_top_level_preprocessor_goes_to_the_model_unless_it_has_one():
    cfg = Config.fromfile(STUDENT_CONFIG)
    assert model_config(cfg).data_preprocessor == cfg.data_preprocessor
    assert 'data_preprocessor' not in cfg.model  # the config is not changed
    cfg.model.data_preprocessor = dict(type='ClsDataPreprocessor', mean=[1.0])
    assert model_config(cfg).data_preprocessor.mean == [1.0]


def test_student_of_a_distillation_config_gets_the_data_preprocessor():
    cfg = Config.fromfile(USKD_CONFIG)
    student = model_config(cfg, student=True)
    assert student.type == 'ImageClassifier'
    assert student.data_preprocessor.mean == [78.1]
    assert model_config(
        Config.fromfile(STUDENT_CONFIG), student=True) == student
    assert model_config(cfg).architecture.get('data_preprocessor') is None


def test_a_student_not_written_inline_is_refused():
    cfg = Config.fromfile(USKD_CONFIG)
    cfg.model.architecture = dict(cfg_path='mmpretrain::resnet/x.py')
    with pytest.raises(ValueError, match='not a model config written inline'):
        model_config(cfg, student=True)


def test_without_checkpoint_the_model_is_initialised_for_training():
    model = build_model(Config.fromfile(USKD_CONFIG))
    assert model.is_init and model.training
    assert model.data_preprocessor is model.student.data_preprocessor
    assert torch.allclose(model.data_preprocessor.mean.flatten(),
                          torch.tensor([78.1]))


def test_checkpoint_is_loaded_in_eval_mode(tmp_path):
    cfg = Config.fromfile(USKD_CONFIG)
    source = randomize_norms(build_model(cfg), seed=3)
    path = str(tmp_path / 'epoch_1.pth')
    torch.save({'meta': {}, 'state_dict': source.state_dict()}, path)
    model = build_model(cfg, path)
    assert not model.training
    loaded = model.state_dict()
    assert all(
        torch.equal(v, loaded[k]) for k, v in source.state_dict().items())


def test_distillation_and_backbone_checkpoints_are_refused(tmp_path):
    cfg = Config.fromfile(STUDENT_CONFIG)
    algorithm = build_model(Config.fromfile(USKD_CONFIG))
    distill = str(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': algorithm.state_dict()}, distill)
    with pytest.raises(ValueError, match='convert it first'):
        build_model(cfg, distill, student=True)

    backbone = str(tmp_path / 'backbone.pth')
    torch.save(
        {
            'state_dict':
            copy.deepcopy(algorithm.architecture.backbone.state_dict())
        }, backbone)
    with pytest.raises(
            ValueError,
            match=r'does not fit .* missing '
            r'\(backbone\.conv1\.weight'):
        build_model(cfg, backbone, student=True)


def test_one_report_names_missing_unexpected_and_mis_shaped_keys(tmp_path):
    cfg = Config.fromfile(STUDENT_CONFIG)
    state = build_model(cfg).state_dict()
    state.pop('head.fc.bias')
    state['head.fc.weight'] = torch.zeros(3, 128)
    state['extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'student.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError) as err:
        build_model(cfg, path, student=True)
    assert str(err.value) == (
        f"{path} does not fit the config's classifier: 1 missing "
        '(head.fc.bias); 1 unexpected (extra.weight); 1 of another shape '
        '(head.fc.weight: found (3, 128), expected (10, 128))')
