"""MobileNetV2 for 32x32 inputs as in the CRD / DKD model zoo
(``mobile_half`` is the width-0.5 model)."""
from typing import List, Optional, Sequence, Union

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmcls_kd.registry import MODELS
from .staged import DEFAULT_INIT_CFG, StagedBackbone


class ExpandedInvertedResidual(BaseModule):
    """Inverted residual block that always has its 1x1 expansion conv.

    MMPretrain's ``InvertedResidual`` drops the expansion when the ratio is
    1; CRD's keeps it (an ``in -> in`` 1x1 conv), so its first block has
    parameters MMPretrain's would not. Submodule names match MMPretrain's:
    ``conv.0`` expands, ``conv.1`` is the depthwise 3x3, ``conv.2`` projects
    (no activation).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 expand_ratio: int,
                 norm_cfg: dict,
                 act_cfg: dict) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            ConvModule(in_channels, hidden, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg),
            ConvModule(hidden, hidden, 3, stride=stride, padding=1,
                       groups=hidden, norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(hidden, out_channels, 1, norm_cfg=norm_cfg,
                       act_cfg=None))

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


@MODELS.register_module()
class CIFARMobileNetV2(StagedBackbone):
    """MobileNetV2 as CRD runs it on CIFAR.

    "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
    (arXiv 1801.04381), in the variant of CRD (arXiv 1910.10699): the stem
    keeps its stride 2, the second stage has stride 1 instead of 2, widths
    are ``int(c * widen_factor)`` with no rounding to multiples of 8, the
    final 1x1 conv keeps 1280 channels when ``widen_factor <= 1``, and every
    block has an expansion conv. The defaults give CRD's ``mobile_half``
    (0.81M parameters with a 100-class linear head).

    Stages 0-6 are ``layer1``..``layer7`` (the inverted-residual stages);
    stage 7 is ``conv2``, the final 1x1 conv. The stem is ``conv1``.

    Args:
        widen_factor (float): width multiplier. Default: 0.5.
        expand_ratio (int): expansion of every stage but the first (which
            uses 1). Default: 6.
        out_indices (Sequence[int]): stages (0-7) whose outputs are
            returned. Default: (7, ).
        frozen_stages (int): stages to freeze, see
            :class:`StagedBackbone`. Default: -1.
        norm_cfg (dict): normalisation layer config. Default: BN.
        act_cfg (dict): activation config. Default: ReLU, as CRD (not
            ReLU6).
        norm_eval (bool): keep BatchNorm in eval mode. Default: False.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    # (expansion, channels, blocks, stride of the first block) per stage;
    # None stands for ``expand_ratio``.
    arch_settings = [(1, 16, 1, 1), (None, 24, 2, 1), (None, 32, 3, 2),
                     (None, 64, 4, 2), (None, 96, 3, 1), (None, 160, 3, 2),
                     (None, 320, 1, 1)]

    def __init__(self,
                 widen_factor: float = 0.5,
                 expand_ratio: int = 6,
                 out_indices: Sequence[int] = (7, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEFAULT_INIT_CFG
                 ) -> None:
        num_layers = len(self.arch_settings)
        stage_names = [f'layer{i + 1}' for i in range(num_layers)] + ['conv2']
        super().__init__(stage_names, 'conv1', out_indices, frozen_stages,
                         norm_eval, init_cfg)
        in_channels = int(32 * widen_factor)
        self.conv1 = ConvModule(3, in_channels, 3, stride=2, padding=1,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        for name, (ratio, channels, num_blocks, stride) in zip(
                stage_names, self.arch_settings):
            out_channels = int(channels * widen_factor)
            blocks = []
            for i in range(num_blocks):
                blocks.append(
                    ExpandedInvertedResidual(
                        in_channels, out_channels, stride if i == 0 else 1,
                        ratio or expand_ratio, norm_cfg, act_cfg))
                in_channels = out_channels
            self.add_module(name, nn.Sequential(*blocks))
        last_channels = int(1280 * max(widen_factor, 1.0))
        self.conv2 = ConvModule(in_channels, last_channels, 1,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
