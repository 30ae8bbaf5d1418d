"""Wide ResNets for 32x32 inputs as in the CRD / DKD model zoo
(``wrn_40_2``, ``wrn_16_2``, ...)."""
from collections import OrderedDict
from typing import List, Optional, Sequence, Union

from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from mmcls_kd.registry import MODELS
from .staged import DEFAULT_INIT_CFG, StagedBackbone


class PreActBasicBlock(BaseModule):
    """Pre-activation basic block: BN-ReLU-conv3x3, twice, plus a shortcut.

    When the block changes width or resolution, its 1x1 ``downsample`` conv
    reads the activated input, as in the Wide ResNet reference code;
    otherwise the raw input is added.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride,
                               padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1,
                               bias=False)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Conv2d(in_channels, out_channels, 1,
                                        stride=stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        activated = F.relu(self.bn1(x))
        shortcut = x if self.downsample is None else self.downsample(activated)
        out = self.conv1(activated)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


@MODELS.register_module()
class CIFARWideResNet(StagedBackbone):
    """Wide ResNet WRN-``depth``-``widen_factor`` for CIFAR.

    "Wide Residual Networks" (arXiv 1605.07146), Table 1, without dropout,
    as in CRD (arXiv 1910.10699): a 3x3 stem with 16 channels, three stages
    of ``(depth - 4) / 6`` pre-activation blocks of width
    ``16k, 32k, 64k`` at strides 1, 2, 2, and a final BN + ReLU.
    WRN-40-2 has 2.25M parameters with a 100-class linear head.

    The stem is ``conv1``; stages 0-2 are ``layer1``..``layer3`` (their
    outputs are not activated); stage 3 is ``final_norm`` (``.bn`` then a
    ReLU), the input of the classifier.

    Args:
        depth (int): 6n + 4 for n >= 1 (16, 40, ...).
        widen_factor (int): width multiplier k. Default: 1.
        out_indices (Sequence[int]): stages (0-3) whose outputs are
            returned. Default: (3, ).
        frozen_stages (int): stages to freeze, see
            :class:`StagedBackbone`. Default: -1.
        norm_cfg (dict): normalisation layer config. Default: BN.
        norm_eval (bool): keep BatchNorm in eval mode. Default: False.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    STEM_CHANNELS = 16

    def __init__(self,
                 depth: int,
                 widen_factor: int = 1,
                 out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEFAULT_INIT_CFG
                 ) -> None:
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(f'CIFARWideResNet: depth must be 6n + 4 with '
                             f'n >= 1, got {depth}')
        stage_names = ['layer1', 'layer2', 'layer3', 'final_norm']
        super().__init__(stage_names, 'conv1', out_indices, frozen_stages,
                         norm_eval, init_cfg)
        num_blocks = (depth - 4) // 6
        in_channels = self.STEM_CHANNELS
        self.conv1 = nn.Conv2d(3, in_channels, 3, padding=1, bias=False)
        for name, base, stride in zip(stage_names, (16, 32, 64), (1, 2, 2)):
            out_channels = base * widen_factor
            blocks = []
            for i in range(num_blocks):
                blocks.append(
                    PreActBasicBlock(in_channels, out_channels,
                                     stride if i == 0 else 1, norm_cfg))
                in_channels = out_channels
            self.add_module(name, nn.Sequential(*blocks))
        self.final_norm = nn.Sequential(
            OrderedDict(
                bn=build_norm_layer(norm_cfg, in_channels)[1],
                relu=nn.ReLU(inplace=True)))
