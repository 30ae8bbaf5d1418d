"""The deployable graph: raw 0-255 images -> the logits the classifier gives
after its data preprocessor; TorchScript and ONNX agree with PyTorch at
another batch size than the traced one. The input size is the one the
config's test pipeline gives."""
import copy
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcls_kd.apis.deploy import (RawImageClassifier, export_onnx,
                                  export_torchscript, pipeline_input_size,
                                  run_onnx)
from mmcls_kd.registry import DATASETS
from tests.checkpoint.test_student import build, randomize_norms
from tests.conftest import REPO, STUDENT_CONFIG

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


def file_config(pipeline, loader='test_dataloader'):
    return Config({
        loader:
        dict(dataset=dict(
            type='CustomDataset', data_root='images', pipeline=pipeline))
    })


def test_input_size_of_the_quick_start_is_that_of_its_digits():
    cfg = Config.fromfile(STUDENT_CONFIG)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert pipeline_input_size(cfg) == tuple(dataset[0]['inputs'].shape[-2:])
    assert pipeline_input_size(cfg) == (8, 8)


@pytest.mark.parametrize('config, size', [
    ('resnet18_8xb32_in1k.py', (224, 224)),
    ('resnet18_8xb16_cifar100.py', (32, 32)),
])
def test_input_size_of_imagenet_and_cifar_configs(config, size):
    path = osp.join(REPO, 'configs', 'baseline', config)
    assert pipeline_input_size(Config.fromfile(path)) == size


def test_input_size_is_height_by_width():
    # MMCV's Resize takes its scale as (width, height).
    cfg = file_config([
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(40, 30), keep_ratio=False),
        dict(type='PackInputs')
    ])
    assert pipeline_input_size(cfg) == (30, 40)


def test_input_size_falls_back_to_the_validation_pipeline():
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=120),
        dict(type='CenterCrop', crop_size=100),
    ]
    cfg = file_config(pipeline, loader='val_dataloader')
    cfg.test_dataloader = None
    assert pipeline_input_size(cfg) == (100, 100)


def test_input_size_that_depends_on_the_file_is_refused():
    cfg = file_config(
        [dict(type='LoadImageFromFile'),
         dict(type='ResizeEdge', scale=256)])
    with pytest.raises(ValueError, match='ResizeEdge.*depends on the image'):
        pipeline_input_size(cfg)
    with pytest.raises(ValueError, match='no test or validation'):
        pipeline_input_size(Config({}))
