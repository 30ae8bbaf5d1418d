"""The deployable graph: raw 0-255 images -> the logits the classifier gives
after its data preprocessor; TorchScript and ONNX agree with PyTorch at
another batch size than the traced one; checkpoints that do not fit are
refused."""
import copy
import importlib.util

import pytest
import torch
from mmengine.config import Config

from mmcls_kd.apis.deploy import (RawImageClassifier, export_onnx,
                                  export_torchscript, load_student_classifier,
                                  run_onnx, student_model_config)
from tests.checkpoint.test_student import (USKD_CONFIG, algorithm_cfg, build,
                                           randomize_norms)
from tests.conftest import STUDENT_CONFIG

# Largest |exported - PyTorch| of the logits accepted (float32 graphs).
ATOL = 1e-4
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]

RGB_CLASSIFIER = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=3,
                  stem_channels=16, base_channels=16, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=7, in_channels=128),
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=MEAN, std=STD,
                           to_rgb=True))


@pytest.fixture(scope='module')
def rgb_classifier():
    return randomize_norms(build(RGB_CLASSIFIER), seed=2).eval()


def raw_images(n, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, 16, 16), generator=generator).float()


def test_preprocessing_inside_the_graph_matches_the_preprocessor(
        rgb_classifier):
    images = raw_images(3)
    with torch.no_grad():
        through_preprocessor = rgb_classifier(
            **rgb_classifier.data_preprocessor({'inputs': images}),
            mode='tensor')
        by_hand = rgb_classifier(
            (images.flip(1) - torch.tensor(MEAN).view(1, 3, 1, 1)) /
            torch.tensor(STD).view(1, 3, 1, 1), mode='tensor')
        deployed = RawImageClassifier(rgb_classifier)(images)
        unprocessed = RawImageClassifier(rgb_classifier,
                                         preprocess=False)(images)
    assert torch.allclose(deployed, through_preprocessor, atol=1e-6)
    assert torch.allclose(deployed, by_hand, atol=1e-6)
    assert not torch.allclose(unprocessed, deployed, atol=1e-2)


def test_torchscript_matches_pytorch(rgb_classifier, tmp_path):
    model = RawImageClassifier(rgb_classifier).eval()
    path = str(tmp_path / 'student.torchscript.pt')
    export_torchscript(model, raw_images(1), path)
    images = raw_images(4, seed=1)
    with torch.no_grad():
        expected = model(images)
        got = torch.jit.load(path)(images)
    assert got.shape == (4, 7)
    assert torch.allclose(got, expected, atol=ATOL, rtol=0)


def test_onnx_has_opset_17_a_dynamic_batch_and_matches_pytorch(
        rgb_classifier, tmp_path):
    for name in ('onnx', 'onnxruntime'):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f'{name} is not installed (pip install -r '
                        'requirements/export.txt); ONNX output not checked')
    import onnx
    model = RawImageClassifier(rgb_classifier).eval()
    path = str(tmp_path / 'student.onnx')
    export_onnx(model, raw_images(1), path)
    graph = onnx.load(path)
    assert [o.version for o in graph.opset_import if o.domain in ('',
            'ai.onnx')] == [17]
    batch_dim = graph.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param == 'batch'
    images = raw_images(5, seed=2)
    with torch.no_grad():
        expected = model(images)
    got = run_onnx(path, images)
    assert got.shape == (5, 7)
    assert torch.allclose(got, expected, atol=ATOL, rtol=0)


def test_student_of_a_distillation_config_gets_the_data_preprocessor():
    cfg = Config.fromfile(USKD_CONFIG)
    student = student_model_config(cfg)
    assert student.type == 'ImageClassifier'
    assert student.data_preprocessor.mean == [78.1]
    assert student_model_config(Config.fromfile(STUDENT_CONFIG)) == student


def test_distillation_and_backbone_checkpoints_are_refused(tmp_path):
    cfg = Config.fromfile(STUDENT_CONFIG)
    algorithm = build(algorithm_cfg(USKD_CONFIG))
    distill = str(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': algorithm.state_dict()}, distill)
    with pytest.raises(ValueError, match='convert it first'):
        load_student_classifier(cfg, distill)

    backbone = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': copy.deepcopy(
        algorithm.architecture.backbone.state_dict())}, backbone)
    with pytest.raises(
            ValueError,
            match=r'does not fit .* missing '
            r'\(backbone\.conv1\.weight'):
        load_student_classifier(cfg, backbone)


def test_one_report_names_missing_unexpected_and_mis_shaped_keys(tmp_path):
    cfg = Config.fromfile(STUDENT_CONFIG)
    state = build(student_model_config(cfg)).state_dict()
    state.pop('head.fc.bias')
    state['head.fc.weight'] = torch.zeros(3, 128)
    state['extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'student.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError) as err:
        load_student_classifier(cfg, path)
    assert str(err.value) == (
        f"{path} does not fit the config's classifier: 1 missing "
        '(head.fc.bias); 1 unexpected (extra.weight); 1 of another shape '
        '(head.fc.weight: found (3, 128), expected (10, 128))')


def test_other_preprocessors_are_refused(rgb_classifier):
    plain = copy.deepcopy(rgb_classifier)
    plain.data_preprocessor = torch.nn.Identity()
    with pytest.raises(TypeError, match='preprocess=False'):
        RawImageClassifier(plain)
