"""The deployable graph: raw 0-255 images -> the logits the classifier gives
after its data preprocessor; TorchScript and ONNX agree with PyTorch at
another batch size than the traced one."""
import copy
import importlib.util

import pytest
import torch

from mmcls_kd.apis.deploy import (RawImageClassifier, export_onnx,
                                  export_torchscript, run_onnx)
from tests.checkpoint.test_student import build, randomize_norms

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


def test_other_preprocessors_are_refused(rgb_classifier):
    plain = copy.deepcopy(rgb_classifier)
    plain.data_preprocessor = torch.nn.Identity()
    with pytest.raises(TypeError, match='preprocess=False'):
        RawImageClassifier(plain)
