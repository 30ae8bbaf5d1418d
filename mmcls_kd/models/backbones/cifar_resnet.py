"""The three-stage CIFAR ResNets of the CRD / DKD model zoo.

CRD's ResNet50 for CIFAR (a 3x3 stride-1 stem, no max-pool, four bottleneck
stages) is MMPretrain's ``ResNet_CIFAR`` with ``depth=50``, module names
included, so it needs no class here: the converter targets it directly.
"""
from typing import Sequence

from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.models.backbones.resnet_cifar import ResNet_CIFAR

from mmcls_kd.registry import MODELS


@MODELS.register_module()
class CIFARResNet(ResNet_CIFAR):
    """ResNet of depth ``6n + 2`` for 32x32 inputs: a 3x3 stem, then three
    stages of ``n`` basic blocks at strides 1, 2, 2.

    "Deep Residual Learning for Image Recognition" (arXiv 1512.03385),
    Sec. 4.2, as widened in CRD (arXiv 1910.10699): ``resnet8x4`` and
    ``resnet32x4`` use ``stem_channels=32, base_channels=64``. Module names
    follow MMPretrain's ResNet (``conv1``, ``bn1``, ``layer1``..``layer3``,
    ``downsample``), which are also the names in CRD's checkpoints.

    Args:
        depth (int): one of CRD's depths: 8, 14, 20, 32, 44, 56, 110.
        stem_channels (int): output channels of the stem. Default: 16.
        base_channels (int): channels of the first stage; each later stage
            doubles them. Default: 16.
        out_indices (Sequence[int]): stages (0, 1, 2) whose outputs are
            returned. Default: (2, ).
        zero_init_residual (bool): start each block's last BatchNorm at zero.
            Default: False, as CRD trains them.
        **kwargs: the other arguments of MMPretrain's ``ResNet``
            (``frozen_stages``, ``norm_eval``, ``norm_cfg``, ``with_cp``...).
    """

    arch_settings = {
        depth: (BasicBlock, ((depth - 2) // 6, ) * 3)
        for depth in (8, 14, 20, 32, 44, 56, 110)
    }

    def __init__(self,
                 depth: int,
                 stem_channels: int = 16,
                 base_channels: int = 16,
                 out_indices: Sequence[int] = (2, ),
                 zero_init_residual: bool = False,
                 **kwargs) -> None:
        super().__init__(
            depth,
            stem_channels=stem_channels,
            base_channels=base_channels,
            num_stages=3,
            strides=(1, 2, 2),
            dilations=(1, 1, 1),
            out_indices=tuple(out_indices),
            zero_init_residual=zero_init_residual,
            **kwargs)


@MODELS.register_module()
class ResNet8x4(CIFARResNet):
    """CRD's ``resnet8x4``: :class:`CIFARResNet` of depth 8, widths
    32-64-128-256 (1.23M parameters with a 100-class linear head)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(depth=8, stem_channels=32, base_channels=64, **kwargs)


@MODELS.register_module()
class ResNet32x4(CIFARResNet):
    """CRD's ``resnet32x4``: :class:`CIFARResNet` of depth 32, widths
    32-64-128-256 (7.43M parameters with a 100-class linear head)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(depth=32, stem_channels=32, base_channels=64,
                         **kwargs)
