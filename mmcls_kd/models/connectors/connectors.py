"""MMRazor's connectors for OFD and CRD, with the input checked first.

A connector that receives a feature of the wrong size otherwise fails deep
inside a convolution or matrix product; these fail at the first step with
the shape they got and the one their config asks for.
"""
from typing import Optional, Tuple

from mmrazor.models.architectures.connectors import (ConvModuleConnector,
                                                     CRDConnector)
from torch import Tensor

from mmcls_kd.registry import MODELS


def check_map(owner: str, feature: Tensor, channels: int,
              size: Optional[Tuple[int, int]], hint: str) -> None:
    """Raise ``ValueError`` unless ``feature`` is (N, ``channels``, H, W),
    of the spatial ``size`` if one is given, with ``hint`` saying what to
    check."""
    expected = (channels, ) + (size or ('H', 'W'))
    if feature.dim() != 4 or feature.shape[1] != channels or (
            size is not None and tuple(feature.shape[2:]) != size):
        shown = ', '.join(map(str, expected))
        raise ValueError(f'{owner} expects an (N, {shown}) feature, got '
                         f'{tuple(feature.shape)}; {hint}')


def check_flat(owner: str, feature: Tensor, values: int) -> None:
    """Raise ``ValueError`` unless each sample of ``feature`` holds
    ``values`` values (an embedding's input, flattened)."""
    if feature.dim() < 2 or feature[0].numel() != values:
        raise ValueError(
            f'{owner} expects a feature of {values} values per sample, got '
            f'{tuple(feature.shape)}; check the recorder source (the pooled '
            'feature) and in_channels')


@MODELS.register_module()
class OFDConnector(ConvModuleConnector):
    """The student-side connector of OFD ("A Comprehensive Overhaul of
    Feature Distillation", arXiv 1904.01866): a 1x1 convolution without
    bias and a BatchNorm, no activation, from the student's pre-ReLU
    feature to the teacher's channels.

    mmcv's ``ConvModule`` initialises the convolution with He-normal
    (fan-out) and the BatchNorm with 1 and 0, which is the initialisation of
    the paper's code.

    Args:
        in_channels (int): channels of the student's feature.
        out_channels (int): channels of the teacher's feature.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size=1,
            norm_cfg=dict(type='BN'),
            act_cfg=None,
            init_cfg=init_cfg)
        self.in_channels = in_channels

    def forward_train(self, feature: Tensor) -> Tensor:
        check_map('OFDConnector', feature, self.in_channels, None,
                  'check the student recorder source and in_channels')
        return super().forward_train(feature)


@MODELS.register_module()
class CRDEmbedding(CRDConnector):
    """The embedding head of CRD ("Contrastive Representation
    Distillation", arXiv 1910.10699): flatten, a linear layer, L2
    normalisation (MMRazor's ``CRDConnector``). One for the student and one
    for the teacher; both train.

    Args:
        in_channels (int): size of the flattened input (the pooled
            feature's channels).
        embed_dim (int): size of the embedding. Defaults to 128.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dim: int = 128,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            dim_in=in_channels, dim_out=embed_dim, init_cfg=init_cfg)
        self.in_channels = in_channels

    def forward_train(self, feature: Tensor) -> Tensor:
        check_flat('CRDEmbedding', feature, self.in_channels)
        return super().forward_train(feature.reshape(feature.shape[0], -1))
