"""A student classifier as a deployable graph: image tensor -> logits.

The graph is traced from :class:`RawImageClassifier` around the classifier
that ``build_model(cfg, checkpoint, student=True)`` (:mod:`.model`) loads.
By default the data preprocessor's work is inside it (channel flip when the
config sets ``to_rgb``, then ``(x - mean) / std``), so a deployment feeds the
float image exactly as the test pipeline hands it to the preprocessor: NCHW,
values 0-255, in the channel order the image was loaded in (BGR for
MMPretrain's ImageNet configs). With ``preprocess=False`` it takes the
preprocessor's output instead. The output is the head's logits, before any
softmax.

:func:`pipeline_input_size` finds the image size the graph is traced at:
the size of the images the config's test pipeline hands the model.
"""
import copy
import inspect
from typing import Optional, Tuple

import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.models.utils import ClsDataPreprocessor
from torch import Tensor, nn

from mmcls_kd.registry import TRANSFORMS

OPSET = 17
# (height, width) of the images of the data sets held in memory, which no
# pipeline loads from a file: Digits holds scikit-learn's 8x8 digits
# (``load_digits().images``, see mmcls_kd/datasets/digits.py), CIFAR-10 and
# CIFAR-100 32x32 images.
IN_MEMORY_SIZES = {'Digits': (8, 8), 'CIFAR10': (32, 32), 'CIFAR100': (32, 32)}
# What a file can hold, at two aspect ratios: a pipeline that brings both to
# one size brings every image to it.
_FILE_SIZES = ((480, 640), (600, 400))


class RawImageClassifier(nn.Module):
    """``images -> logits`` around an MMPretrain classifier.

    Args:
        classifier (nn.Module): an ``ImageClassifier`` (anything with
            ``forward(inputs, mode='tensor')`` and a ``data_preprocessor``).
        preprocess (bool): put the data preprocessor's channel flip and
            normalisation inside the graph. Defaults to True.
        in_channels (int): channels of the input images; the preprocessor
            flips channels only of 3-channel images. Defaults to 3.
    """

    def __init__(self, classifier: nn.Module, preprocess: bool = True,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.classifier = classifier
        self.flip_channels = False
        self.normalize = False
        if not preprocess:
            return
        preprocessor = classifier.data_preprocessor
        if not isinstance(preprocessor, ClsDataPreprocessor):
            raise TypeError(
                'only ClsDataPreprocessor can be put inside the graph, got '
                f'{type(preprocessor).__name__}; export with preprocess=False')
        if preprocessor.pad_size_divisor > 1:
            raise ValueError('the data preprocessor pads to a size divisor, '
                             'which a fixed input size does not need; export '
                             'with preprocess=False')
        # Decided here, not in forward, so the traced graph has no branch
        # on the input's shape.
        self.flip_channels = bool(preprocessor.to_rgb) and in_channels == 3
        self.normalize = bool(preprocessor._enable_normalize)
        if self.normalize:
            self.register_buffer(
                'mean', preprocessor.mean.detach().clone().view(1, -1, 1, 1),
                persistent=False)
            self.register_buffer(
                'std', preprocessor.std.detach().clone().view(1, -1, 1, 1),
                persistent=False)

    def forward(self, images: Tensor) -> Tensor:
        if self.flip_channels:
            images = images.flip(1)
        if self.normalize:
            images = (images - self.mean) / self.std
        return self.classifier(images, mode='tensor')


def export_torchscript(model: nn.Module, example: Tensor,
                       path: str) -> torch.jit.ScriptModule:
    """Trace ``model`` on ``example`` and save it to ``path``."""
    with torch.no_grad():
        traced = torch.jit.trace(model.eval(), example)
    traced.save(path)
    return traced


def export_onnx(model: nn.Module, example: Tensor, path: str,
                opset: int = OPSET) -> None:
    """Export ``model`` to ONNX with inputs ``image`` and outputs ``logits``,
    both with a dynamic batch dimension."""
    options = {}
    # torch >= 2.9 defaults to the torch.export-based exporter, which writes
    # opset 18 at least and fails to convert ResNets down to 17; the
    # TorchScript-based exporter writes the requested opset.
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        options['dynamo'] = False
    with torch.no_grad():
        torch.onnx.export(
            model.eval(), (example, ), path,
            input_names=['image'],
            output_names=['logits'],
            dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}},
            opset_version=opset,
            do_constant_folding=True,
            **options)


def run_onnx(path: str, images: Tensor,
             providers: Optional[list] = None) -> Tensor:
    """Logits of the ONNX model at ``path`` with onnxruntime (CPU unless
    ``providers`` says otherwise)."""
    import onnxruntime
    session = onnxruntime.InferenceSession(
        path, providers=providers or ['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    (logits, ) = session.run(None, {name: images.detach().cpu().numpy()})
    return torch.from_numpy(logits)


def _pipeline_dataset(cfg: Config) -> Tuple[str, dict]:
    """The test loader's data set with its pipeline, else the validation
    loader's, inside any data set wrappers."""
    for loader in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        while isinstance(dataset, dict) and 'pipeline' not in dataset:
            dataset = dataset.get('dataset')
        if dataset is not None:
            return loader, dataset
    raise ValueError('the config has no test or validation data set with a '
                     'pipeline to take the input size from')


def _transformed_size(transforms: list, size: tuple) -> tuple:
    results = dict(img=np.zeros((*size, 3), np.uint8),
                   img_shape=size,
                   ori_shape=size)
    for transform in transforms:
        results = transform(results)
    if 'inputs' in results:  # PackInputs: a C x H x W tensor
        return tuple(results['inputs'].shape[-2:])
    return results['img'].shape[:2]


def pipeline_input_size(cfg: Config) -> Tuple[int, int]:
    """``(height, width)`` of the images the test pipeline of ``cfg`` (the
    validation pipeline without a test loader) hands the model.

    The pipeline's own transforms run on blank images: of the data set's
    size for the in-memory data sets of ``IN_MEMORY_SIZES``, else of two
    sizes standing for the files its ``LoadImageFromFile`` would read, so
    every resize and crop counts as it does on real images.

    Raises:
        ValueError: without a test or validation pipeline, or when the size
            a file pipeline gives depends on the file's size (no crop or
            fixed-size resize at its end).
    """
    loader, dataset = _pipeline_dataset(cfg)
    scope = dataset.get('_scope_') or cfg.get('default_scope') or 'mmcls_kd'
    with DefaultScope.overwrite_default_scope(scope):
        transforms = [
            TRANSFORMS.build(copy.deepcopy(transform))
            for transform in dataset['pipeline']
        ]
    # The blank image stands for what the loader would read.
    transforms = [
        t for t in transforms if not isinstance(t, LoadImageFromFile)
    ]
    dataset_type = dataset.get('type')
    name = (dataset_type.__name__ if isinstance(dataset_type, type) else
            str(dataset_type).rsplit('.', 1)[-1])
    sources = ([IN_MEMORY_SIZES[name]]
               if name in IN_MEMORY_SIZES else _FILE_SIZES)
    sizes = {
        source: _transformed_size(transforms, source)
        for source in sources
    }
    if len(set(sizes.values())) > 1:
        steps = ', '.join(type(t).__name__ for t in transforms)
        seen = ', '.join(f'{h}x{w} -> {sizes[(h, w)][0]}x{sizes[(h, w)][1]}'
                         for h, w in sizes)
        raise ValueError(
            f'the input size cannot be derived from the {loader} pipeline '
            f'({steps}): the size it gives depends on the image ({seen})')
    return next(iter(sizes.values()))


__all__ = [
    'IN_MEMORY_SIZES', 'OPSET', 'RawImageClassifier', 'export_onnx',
    'export_torchscript', 'pipeline_input_size', 'run_onnx'
]
