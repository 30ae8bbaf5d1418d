"""The stage bookkeeping shared by the backbones of this package that do not
extend an MMPretrain backbone: which stage outputs to return, which stages to
freeze, and BatchNorm in eval mode while training."""
from typing import List, Optional, Sequence, Tuple, Union

from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

# The initialisation CRD gives its ResNets, VGGs, MobileNetV2 and WRNs:
# normal He init with fan_out for convolutions, BatchNorm at 1 and 0.
DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]


class StagedBackbone(BaseBackbone):
    """A stem (optional) followed by stages applied in order.

    A subclass calls ``__init__`` with the names of its submodules, then
    builds them under those names. Stage ``i`` is ``stage_names[i]``.

    Args:
        stage_names (Sequence[str]): submodule names of the stages, in order;
            dotted paths (``'layers.0'``) are allowed.
        stem_name (str, optional): submodule name of the stem, or None.
        out_indices (Sequence[int]): stages whose outputs ``forward``
            returns, in stage order.
        frozen_stages (int): -1 freezes nothing; ``k >= 0`` freezes the stem
            and the first ``k`` stages (no gradients, eval mode).
        norm_eval (bool): keep every BatchNorm in eval mode while training.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(self,
                 stage_names: Sequence[str],
                 stem_name: Optional[str],
                 out_indices: Sequence[int],
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_stages = len(stage_names)
        out_indices = tuple(out_indices)
        name = type(self).__name__
        if not out_indices or any(i not in range(num_stages)
                                  for i in out_indices):
            raise ValueError(f'{name}: out_indices must be a non-empty '
                             f'subset of range({num_stages}), got '
                             f'{out_indices}')
        if frozen_stages not in range(-1, num_stages + 1):
            raise ValueError(f'{name}: frozen_stages must be in '
                             f'[-1, {num_stages}], got {frozen_stages}')
        self.stage_names = list(stage_names)
        self.stem_name = stem_name
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        if self.stem_name is not None:
            x = self.get_submodule(self.stem_name)(x)
        outs = []
        for i, name in enumerate(self.stage_names):
            x = self.get_submodule(name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        names = self.stage_names[:self.frozen_stages]
        if self.stem_name is not None:
            names = [self.stem_name] + names
        return [self.get_submodule(name) for name in names]

    def train(self, mode: bool = True) -> 'StagedBackbone':
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
