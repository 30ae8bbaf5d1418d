"""A student classifier as a deployable graph: image tensor -> logits.

The graph is traced from :class:`RawImageClassifier`. By default the data
preprocessor's work is inside it (channel flip when the config sets
``to_rgb``, then ``(x - mean) / std``), so a deployment feeds the float image
exactly as the test pipeline hands it to the preprocessor: NCHW, values
0-255, in the channel order the image was loaded in (BGR for MMPretrain's
ImageNet configs). With ``preprocess=False`` it takes the preprocessor's
output instead. The output is the head's logits, before any softmax.
"""
import copy
import inspect
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmpretrain.models.utils import ClsDataPreprocessor
from torch import Tensor, nn

from mmcls_kd.checkpoint import load_checkpoint
from mmcls_kd.registry import MODELS

OPSET = 17


def student_model_config(cfg: Config) -> ConfigDict:
    """The classifier config of ``cfg``: its model, or the student
    (``model.architecture``) of a distillation config, with the top-level
    ``data_preprocessor`` unless the classifier sets its own (as MMEngine's
    runner and the distillation algorithms do)."""
    model = copy.deepcopy(cfg.model)
    if 'architecture' in model:
        model = model.architecture
        if not isinstance(model, dict) or 'type' not in model:
            raise ValueError('the config\'s model.architecture is not a '
                             'model config written inline')
    if model.get('data_preprocessor') is None:
        model.data_preprocessor = copy.deepcopy(cfg.get('data_preprocessor'))
    return model


def load_student_classifier(cfg: Config, checkpoint: str) -> nn.Module:
    """Build the classifier of ``cfg`` and load a classifier checkpoint
    (as written by ``extract_student``) into it strictly (see
    :func:`mmcls_kd.checkpoint.load_checkpoint`); eval mode."""
    model_cfg = student_model_config(cfg)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmcls_kd'):
        model = MODELS.build(model_cfg)
    load_checkpoint(model, checkpoint, target="the config's classifier")
    return model.eval()


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


__all__ = [
    'OPSET', 'RawImageClassifier', 'export_onnx', 'export_torchscript',
    'load_student_classifier', 'run_onnx', 'student_model_config'
]
