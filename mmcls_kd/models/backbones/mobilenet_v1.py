"""MobileNet V1 for ImageNet, the student of the NKD / USKD ImageNet tables;
MMPretrain has no MobileNet V1."""
from typing import List, Optional, Sequence, Union

from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from torch import nn

from mmcls_kd.registry import MODELS
from .staged import DEFAULT_INIT_CFG, StagedBackbone


@MODELS.register_module()
class MobileNetV1(StagedBackbone):
    """MobileNet V1 (width 1.0, 224x224 inputs).

    "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
    Applications" (arXiv 1704.04861), Table 1: a 3x3 stride-2 stem with 32
    channels, then 13 depthwise-separable units (depthwise 3x3 + BN + ReLU,
    pointwise 1x1 + BN + ReLU); 4.2M parameters with the 1000-class linear
    classifier. The units are grouped into stages by output resolution:

    ========  =====  ======  ========
    stage     units  output  at 224px
    ========  =====  ======  ========
    layer1    1      64      112x112
    layer2    2      128     56x56
    layer3    2      256     28x28
    layer4    6      512     14x14
    layer5    2      1024    7x7
    ========  =====  ======  ========

    The stem is ``conv1``; unit ``j`` of stage ``i`` is ``layer{i+1}.{j}``
    with ``.depthwise_conv`` and ``.pointwise_conv`` (mmcv's
    ``DepthwiseSeparableConvModule``).

    Args:
        out_indices (Sequence[int]): stages (0-4) whose outputs are
            returned. Default: (4, ).
        frozen_stages (int): stages to freeze, see
            :class:`StagedBackbone`. Default: -1.
        norm_cfg (dict): normalisation layer config. Default: BN.
        act_cfg (dict): activation config. Default: ReLU.
        norm_eval (bool): keep BatchNorm in eval mode. Default: False.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    STEM_CHANNELS = 32
    # (output channels, units, stride of the first unit) per stage.
    arch_settings = [(64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2),
                     (1024, 2, 2)]

    def __init__(self,
                 out_indices: Sequence[int] = (4, ),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEFAULT_INIT_CFG
                 ) -> None:
        stage_names = [f'layer{i + 1}' for i in range(len(self.arch_settings))]
        super().__init__(stage_names, 'conv1', out_indices, frozen_stages,
                         norm_eval, init_cfg)
        in_channels = self.STEM_CHANNELS
        self.conv1 = ConvModule(3, in_channels, 3, stride=2, padding=1,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        for name, (out_channels, num_units, stride) in zip(
                stage_names, self.arch_settings):
            units = []
            for i in range(num_units):
                units.append(
                    DepthwiseSeparableConvModule(
                        in_channels, out_channels, 3,
                        stride=stride if i == 0 else 1, padding=1,
                        norm_cfg=norm_cfg, act_cfg=act_cfg))
                in_channels = out_channels
            self.add_module(name, nn.Sequential(*units))
