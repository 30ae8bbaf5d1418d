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
"""
import inspect
from typing import Optional

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from torch import Tensor, nn

OPSET = 17


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
    'run_onnx'
]
