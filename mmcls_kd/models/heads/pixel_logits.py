"""Zipf's LS's dense classification: the student's own classifier applied
to every position of its last feature map."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS


@MODELS.register_module()
class PixelLogits(nn.Module):
    """Per-position logits of "Efficient One Pass Self-distillation with
    Zipf's Label Smoothing" (Liang et al., ECCV 2022, arXiv 2207.12980):
    the linear classifier of the head, applied to each position of the
    pre-pooling feature map instead of to its average.

    It holds no weights of its own: it is called with the classifier's
    weight and bias, which a distiller config records from the student
    (MMRazor's ``Parameter`` recorder on ``head.fc.weight`` and
    ``head.fc.bias``), so the positions are classified by the very layer
    that is being trained.

    Args:
        scale_factor (float, optional): Upsample the feature map by this
            factor first (the official code's ``--upsample bilinear``,
            x2, used for CIFAR-100 and Tiny-ImageNet). Defaults to None.
        mode (str): Interpolation mode of the upsampling. Defaults to
            'bilinear'.
    """

    def __init__(self,
                 scale_factor: Optional[float] = None,
                 mode: str = 'bilinear') -> None:
        super().__init__()
        if scale_factor is not None and not scale_factor > 0:
            raise ValueError('PixelLogits: scale_factor must be positive or '
                             f'None, got {scale_factor}')
        self.scale_factor = scale_factor
        self.mode = mode

    def forward(self,
                feature: Tensor,
                weight: Tensor,
                bias: Optional[Tensor] = None) -> Tensor:
        """Classify every position.

        Args:
            feature (Tensor): Feature map (N, C_feat, H, W).
            weight (Tensor): Classifier weight (C, C_feat).
            bias (Tensor, optional): Classifier bias (C,).

        Returns:
            Tensor: Logits (N, C, H', W'), H' and W' after upsampling.
        """
        if feature.dim() != 4:
            raise ValueError('PixelLogits: feature must be a feature map '
                             f'(N, C_feat, H, W), got {tuple(feature.shape)}')
        if weight.dim() != 2 or weight.shape[1] != feature.shape[1]:
            raise ValueError(
                f'PixelLogits: weight must have the shape (C, '
                f'{feature.shape[1]}) for a feature map '
                f'{tuple(feature.shape)}, got {tuple(weight.shape)}; record '
                'the map that the classifier pools')
        if bias is not None and tuple(bias.shape) != (weight.shape[0], ):
            raise ValueError(f'PixelLogits: bias must have the shape '
                             f'({weight.shape[0]},), got {tuple(bias.shape)}')
        if self.scale_factor is not None:
            feature = F.interpolate(
                feature,
                scale_factor=self.scale_factor,
                mode=self.mode,
                align_corners=False if self.mode in ('bilinear', 'bicubic')
                else None)
        # A 1x1 convolution is the linear layer at every position.
        return F.conv2d(feature, weight[:, :, None, None], bias)
