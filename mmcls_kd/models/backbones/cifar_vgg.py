"""VGG with BatchNorm for 32x32 inputs, as in the CRD / DKD model zoo."""
from typing import List, Optional, Sequence, Union

from mmcv.cnn import ConvModule
from torch import Tensor, nn
from torch.nn import functional as F

from mmcls_kd.registry import MODELS
from .staged import DEFAULT_INIT_CFG, StagedBackbone


class PooledStage(nn.Sequential):
    """Conv units, optionally preceded by a 2x2 max-pool.

    The pool opens the stage rather than closing the previous one, so each
    stage output is the full-resolution map CRD's feature losses read.
    """

    def __init__(self, units: Sequence[nn.Module], pool_first: bool) -> None:
        super().__init__(*units)
        self.pool_first = pool_first

    def forward(self, x: Tensor) -> Tensor:
        if self.pool_first:
            x = F.max_pool2d(x, kernel_size=2, stride=2)
        return super().forward(x)


@MODELS.register_module()
class CIFARVGG(StagedBackbone):
    """VGG-BN for CIFAR: five stages of 3x3 conv + BN + ReLU units, without
    VGG's fully connected layers.

    "Very Deep Convolutional Networks for Large-Scale Image Recognition"
    (arXiv 1409.1556), adapted to 32x32 inputs as in CRD (arXiv 1910.10699):
    stages 2-4 open with a 2x2 max-pool and stage 5 keeps stage 4's 4x4
    resolution. ``depth=8`` is CRD's ``vgg8`` (one conv per stage, 3.96M
    parameters with a 100-class linear head); ``depth=13`` is ``vgg13``
    (9.46M). Stage ``i`` is ``layer{i+1}``; unit ``j`` of it is
    ``layer{i+1}.{j}`` with ``.conv`` and ``.bn``.

    Args:
        depth (int): 8, 11, 13, 16 or 19.
        out_indices (Sequence[int]): stages (0-4) whose outputs are
            returned. Default: (4, ).
        frozen_stages (int): stages to freeze, see
            :class:`StagedBackbone`. Default: -1.
        norm_cfg (dict): normalisation layer config. Default: BN.
        act_cfg (dict): activation config. Default: ReLU.
        norm_eval (bool): keep BatchNorm in eval mode. Default: False.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    # Convolutions per stage; every stage ends at its width in STAGE_WIDTHS.
    arch_settings = {
        8: (1, 1, 1, 1, 1),
        11: (1, 1, 2, 2, 2),
        13: (2, 2, 2, 2, 2),
        16: (2, 2, 3, 3, 3),
        19: (2, 2, 4, 4, 4),
    }
    STAGE_WIDTHS = (64, 128, 256, 512, 512)
    # No pool before the last stage: at 32x32 it would leave a 2x2 map.
    POOL_FIRST = (False, True, True, True, False)

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (4, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEFAULT_INIT_CFG
                 ) -> None:
        if depth not in self.arch_settings:
            raise ValueError(f'CIFARVGG: depth must be one of '
                             f'{sorted(self.arch_settings)}, got {depth}')
        stage_names = [f'layer{i + 1}' for i in range(5)]
        super().__init__(stage_names, None, out_indices, frozen_stages,
                         norm_eval, init_cfg)
        in_channels = 3
        for name, num_convs, width, pool_first in zip(
                stage_names, self.arch_settings[depth], self.STAGE_WIDTHS,
                self.POOL_FIRST):
            units = []
            for _ in range(num_convs):
                # CRD's VGG convolutions keep their bias despite the BN.
                units.append(
                    ConvModule(in_channels, width, 3, padding=1, bias=True,
                               norm_cfg=norm_cfg, act_cfg=act_cfg))
                in_channels = width
            self.add_module(name, PooledStage(units, pool_first))
