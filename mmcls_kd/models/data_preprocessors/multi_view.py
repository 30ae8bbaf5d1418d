"""Training batches of several views of each image (MMPretrain's
``MultiView`` transform) for a student and a teacher that see every view."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

import torch
from mmpretrain.models import ClsDataPreprocessor
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmcls_kd.registry import MODELS


def loss_views(losses: Optional[Dict[str, dict]]) -> Dict[str, tuple]:
    """``{name: (type name, views)}`` of the losses of a distiller config
    (``distill_losses``) that read several views of each image: those whose
    class has a ``num_views`` attribute above 1 (MLKD's weak and strong
    view)."""
    found = {}
    for name, loss in (losses or {}).items():
        kind = loss.get('type') if isinstance(loss, dict) else None
        cls = MODELS.get(kind) if isinstance(kind, str) else kind
        views = getattr(cls, 'num_views', 1)
        if views > 1:
            found[name] = (getattr(cls, '__name__', str(kind)), views)
    return found


def _is_multi_view(inputs) -> bool:
    """Several views: a list of per-view lists of images (``pseudo_collate``)
    or of per-view (N, C, H, W) tensors (``default_collate``); one view is
    a list of (C, H, W) images or one (N, C, H, W) tensor."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return False
    first = inputs[0]
    return isinstance(first, (list, tuple)) or (isinstance(first, Tensor)
                                                and first.dim() == 4)


@MODELS.register_module()
class MultiViewDataPreprocessor(ClsDataPreprocessor):
    """MMPretrain's ``ClsDataPreprocessor`` for training batches that hold
    several views of each image (MMPretrain's ``MultiView`` transform, e.g.
    MLKD's weak and strong augmentation), handing the model every view in
    one forward.

    Each view is preprocessed as ``ClsDataPreprocessor`` does (conversion,
    normalisation, padding), then the views are concatenated along the
    batch, view after view: N images give (V x N, ...) inputs and the data
    samples repeated V times. The student and the teacher of a distillation
    algorithm thus both run on every view, their recorded logits are
    (V x N, C) with the first view's rows first, and the head's
    cross-entropy is the mean over all views (half the sum of the two views'
    means for V = 2). With ``batch_norm='per_view'`` (the default) a
    distillation algorithm runs the student's batch normalisation on each
    view apart (:func:`batch_norm_per_view`), as a forward per view would.
    A batch of single images (validation, testing) is
    preprocessed as ``ClsDataPreprocessor`` does; a training batch must hold
    ``num_views`` views.

    Args:
        num_views (int): Views of each training image. Defaults to 2.
        batch_norm (str): ``'per_view'``: the student's batch statistics
            (and running averages, updated once per view, in view order) of
            each view apart, as MLKD's official code, which runs the student
            once per view; ``'joint'``: of all views as one batch. Defaults
            to ``'per_view'``.
        **kwargs: ``ClsDataPreprocessor``'s arguments (``mean``, ``std``,
            ``to_rgb``, ...). ``batch_augments`` are refused: Mixup/CutMix
            would mix each view with other images by other weights.
    """

    def __init__(self,
                 num_views: int = 2,
                 batch_norm: str = 'per_view',
                 **kwargs) -> None:
        if not isinstance(num_views, int) or isinstance(
                num_views, bool) or num_views < 2:
            raise ValueError(f'{type(self).__name__}: num_views must be an '
                             f'integer >= 2, got {num_views!r}')
        if batch_norm not in ('per_view', 'joint'):
            raise ValueError(f'{type(self).__name__}: batch_norm must be '
                             f"'per_view' or 'joint', got {batch_norm!r}")
        if kwargs.get('batch_augments'):
            raise ValueError(
                f'{type(self).__name__}: batch_augments (Mixup/CutMix) are '
                'not supported: each view would be mixed with other images '
                'by other weights')
        super().__init__(**kwargs)
        self.num_views = num_views
        self.batch_norm = batch_norm

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not _is_multi_view(inputs):
            if training:
                raise ValueError(
                    f'{type(self).__name__}: a training batch must hold '
                    f'{self.num_views} views of each image (MMPretrain\'s '
                    'MultiView transform in the training pipeline), got one '
                    'view')
            return super().forward(data, training)
        if len(inputs) != self.num_views:
            raise ValueError(
                f'{type(self).__name__}: num_views={self.num_views}, got a '
                f'batch of {len(inputs)} views of each image')
        views: List[dict] = [
            super(MultiViewDataPreprocessor,
                  self).forward(dict(data, inputs=view), training)
            for view in inputs
        ]
        samples: Optional[Sequence] = views[0]['data_samples']
        if samples is not None:
            samples = list(samples) * self.num_views
        return dict(inputs=torch.cat([view['inputs'] for view in views]),
                    data_samples=samples)


@contextmanager
def batch_norm_per_view(model: nn.Module, num_views: int) -> Iterator[None]:
    """Within the context, every batch normalisation layer of ``model`` in
    training mode normalises a batch of ``num_views`` views (view after
    view along the batch, as :class:`MultiViewDataPreprocessor` gives them)
    view by view: batch statistics per view, and the running averages
    updated once per view in view order. Every other layer acting on each
    image alone, the outputs are those of one forward per view. Layers in
    eval mode (running statistics) are left as they are."""
    patched = []

    def per_view(forward):

        def run(inputs: Tensor) -> Tensor:
            if inputs.shape[0] % num_views:
                raise ValueError(
                    f'batch_norm_per_view: a batch of {inputs.shape[0]} '
                    f'does not split into {num_views} views')
            return torch.cat(
                [forward(view) for view in inputs.chunk(num_views)])

        return run

    try:
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.training:
                patched.append((module, vars(module).get('forward')))
                module.forward = per_view(module.forward)
        yield
    finally:
        for module, own in patched:
            if own is None:
                del module.forward
            else:
                module.forward = own
