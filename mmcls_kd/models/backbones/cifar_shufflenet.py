"""ShuffleNet V1 and V2 for 32x32 inputs as in the CRD / DKD model zoo
(``ShuffleV1``, ``ShuffleV2``)."""
from typing import List, Optional, Sequence, Union

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones.shufflenet_v2 import ShuffleNetV2
from mmpretrain.models.utils import channel_shuffle
from torch import Tensor, nn
from torch.nn import functional as F

from mmcls_kd.registry import MODELS
from .staged import DEFAULT_INIT_CFG, StagedBackbone


class CIFARShuffleUnit(BaseModule):
    """ShuffleNet V1 unit as CRD builds it.

    It differs from MMPretrain's ``ShuffleUnit`` in ways that change the
    function, so the two cannot share weights: the channel shuffle comes
    right after the first grouped 1x1 conv, the depthwise conv is followed
    by a ReLU, a downsampling unit sizes its bottleneck from the channels it
    adds (not from its output width), and it concatenates
    ``[branch, pooled input]`` in that order. Submodule names follow
    MMPretrain's unit.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels (after concatenation for a
            stride-2 unit).
        stride (int): 2 halves the resolution and concatenates the
            average-pooled input; 1 adds the input.
        groups (int): groups of the 1x1 convs.
        compress_groups (int): groups of the first 1x1 conv (1 when the
            input is the narrow stem output).
        norm_cfg (dict): normalisation layer config.
        act_cfg (dict): activation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 groups: int,
                 compress_groups: int,
                 norm_cfg: dict,
                 act_cfg: dict) -> None:
        super().__init__()
        if stride not in (1, 2) or (stride == 1
                                    and in_channels != out_channels):
            raise ValueError(
                f'CIFARShuffleUnit: a stride-1 unit keeps its width; got '
                f'stride={stride}, {in_channels} -> {out_channels} channels')
        self.stride = stride
        self.compress_groups = compress_groups
        branch_channels = out_channels - in_channels if stride == 2 \
            else out_channels
        bottleneck = branch_channels // 4
        self.g_conv_1x1_compress = ConvModule(
            in_channels, bottleneck, 1, groups=compress_groups,
            norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.depthwise_conv3x3_bn = ConvModule(
            bottleneck, bottleneck, 3, stride=stride, padding=1,
            groups=bottleneck, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.g_conv_1x1_expand = ConvModule(
            bottleneck, branch_channels, 1, groups=groups, norm_cfg=norm_cfg,
            act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        out = self.g_conv_1x1_compress(x)
        out = channel_shuffle(out, self.compress_groups)
        out = self.depthwise_conv3x3_bn(out)
        out = self.g_conv_1x1_expand(out)
        if self.stride == 2:
            pooled = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1)
            out = torch.cat([out, pooled], dim=1)
        else:
            out = out + x
        return F.relu(out)


@MODELS.register_module()
class CIFARShuffleNetV1(StagedBackbone):
    """ShuffleNet V1 (3 groups) as CRD runs it on CIFAR.

    "ShuffleNet: An Extremely Efficient Convolutional Neural Network for
    Mobile Devices" (arXiv 1707.01083), in the variant of CRD
    (arXiv 1910.10699): a 1x1 stride-1 stem with 24 channels and no
    max-pool, then three stages of 4, 8 and 4 units of width 240, 480 and
    960, each opened by a stride-2 unit (0.95M parameters with a 100-class
    linear head). The stem is ``conv1``; stage ``i`` is ``layers.{i}``.

    Args:
        out_indices (Sequence[int]): stages (0-2) whose outputs are
            returned. Default: (2, ).
        frozen_stages (int): stages to freeze, see
            :class:`StagedBackbone`. Default: -1.
        norm_cfg (dict): normalisation layer config. Default: BN.
        act_cfg (dict): activation config of the 1x1 compress and depthwise
            convs. Default: ReLU.
        norm_eval (bool): keep BatchNorm in eval mode. Default: False.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    GROUPS = 3
    STEM_CHANNELS = 24
    STAGE_WIDTHS = (240, 480, 960)
    STAGE_UNITS = (4, 8, 4)

    def __init__(self,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEFAULT_INIT_CFG
                 ) -> None:
        stage_names = [f'layers.{i}' for i in range(len(self.STAGE_WIDTHS))]
        super().__init__(stage_names, 'conv1', out_indices, frozen_stages,
                         norm_eval, init_cfg)
        in_channels = self.STEM_CHANNELS
        self.conv1 = ConvModule(3, in_channels, 1, norm_cfg=norm_cfg,
                                act_cfg=act_cfg)
        self.layers = nn.ModuleList()
        for width, num_units in zip(self.STAGE_WIDTHS, self.STAGE_UNITS):
            units = []
            for i in range(num_units):
                # The stem's 24 channels are too few to split into groups.
                compress_groups = 1 if in_channels == self.STEM_CHANNELS \
                    else self.GROUPS
                units.append(
                    CIFARShuffleUnit(in_channels, width, 2 if i == 0 else 1,
                                     self.GROUPS, compress_groups, norm_cfg,
                                     act_cfg))
                in_channels = width
            self.layers.append(nn.Sequential(*units))


@MODELS.register_module()
class CIFARShuffleNetV2(ShuffleNetV2):
    """ShuffleNet V2 as CRD runs it on CIFAR.

    "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture
    Design" (arXiv 1807.11164). CRD's variant (arXiv 1910.10699) is
    MMPretrain's ``ShuffleNetV2`` with a 1x1 stride-1 stem and no max-pool,
    so 32x32 inputs end at 4x4 (1.36M parameters at ``widen_factor=1.0``
    with a 100-class linear head). Names are MMPretrain's: the stem is
    ``conv1``, stages 0-2 are ``layers.0``..``layers.2`` and stage 3 is the
    final 1x1 conv ``layers.3``.

    Args:
        **kwargs: the arguments of MMPretrain's ``ShuffleNetV2``
            (``widen_factor``, ``out_indices`` (default (3, )),
            ``frozen_stages``, ``norm_eval``, ...).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.conv1 = ConvModule(3, self.conv1.conv.out_channels, 1,
                                conv_cfg=self.conv_cfg,
                                norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.maxpool = nn.Identity()
