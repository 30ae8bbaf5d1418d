"""ReviewKD's attention-based fusion (ABF) of the student's stages."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor, nn

from mmcls_kd.registry import MODELS

Size = Union[int, Sequence[int]]


def _pair(size: Size) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


class AttentionFusion(nn.Module):
    """One ABF unit: reduce the stage to ``mid_channels`` (1x1 conv + BN),
    fuse it with the residual coming from the deeper stages through two
    spatial attention maps (1x1 conv on the concatenation, sigmoid), then
    produce the output (3x3 conv + BN).

    Returns the output and the fused map, which is the residual handed to
    the next shallower stage.
    """

    def __init__(self, in_channels: int, mid_channels: int,
                 out_channels: int, fuse: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.BatchNorm2d(mid_channels))
        self.output = nn.Sequential(
            nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.attention = nn.Sequential(
            nn.Conv2d(2 * mid_channels, 2, 1), nn.Sigmoid()) if fuse else None
        # The official code's initialisation of the two convolutions.
        for conv in (self.reduce[0], self.output[0]):
            nn.init.kaiming_uniform_(conv.weight, a=1)

    def forward(self, feature: Tensor, residual: Optional[Tensor],
                out_size: Optional[Tuple[int, int]]) -> Tuple[Tensor, Tensor]:
        fused = self.reduce(feature)
        if self.attention is not None:
            residual = F.interpolate(
                residual, size=fused.shape[-2:], mode='nearest')
            weights = self.attention(torch.cat([fused, residual], dim=1))
            fused = fused * weights[:, :1] + residual * weights[:, 1:]
        if out_size is not None and tuple(fused.shape[-2:]) != out_size:
            fused = F.interpolate(fused, size=out_size, mode='nearest')
        return self.output(fused), fused


@MODELS.register_module()
class ABFConnector(BaseConnector):
    """The review mechanism of "Distilling Knowledge via Knowledge Review"
    (Chen et al., CVPR 2021, arXiv 2104.09044): the student's stage
    features, deepest first, each fused with the residual of the deeper
    ones by an attention-based fusion (ABF) unit; the deepest unit fuses
    nothing. Its outputs, one per stage in the teacher's channels, go to
    :class:`~mmcls_kd.models.losses.feature.HCLLoss` with the teacher's
    features.

    Input and output are lists ordered from the shallowest stage to the
    deepest, as a :class:`~mmcls_kd.models.recorders.GroupRecorder`
    records them; the official code's last entry is the pooled feature, an
    (N, C) vector taken as an (N, C, 1, 1) map. The ABF units live in the
    distiller: they train with the student and are not part of it.

    Args:
        in_channels (Sequence[int]): channels of the student's features.
        out_channels (Sequence[int]): channels of the teacher's features.
        mid_channels (int, optional): width of the fusion. Defaults to
            ``min(512, in_channels[-1])``, the official CIFAR rule (its
            ImageNet code sets 512 for ResNet-18 and 256 for MobileNet).
        out_sizes (Sequence, optional): spatial size of each teacher
            feature (int or (h, w)); a fused map of another size is resized
            (nearest) before the output conv, as the official code does for
            students whose stages differ in resolution from the teacher's.
            None keeps the student's sizes. Defaults to None.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 mid_channels: Optional[int] = None,
                 out_sizes: Optional[Sequence[Size]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num = len(in_channels)
        if num == 0 or len(out_channels) != num or (
                out_sizes is not None and len(out_sizes) != num):
            raise ValueError(
                f'ABFConnector: in_channels, out_channels (and out_sizes) '
                f'need one entry per feature, got {list(in_channels)}, '
                f'{list(out_channels)}, {out_sizes}')
        self.in_channels = tuple(in_channels)
        self.out_channels = tuple(out_channels)
        self.mid_channels = mid_channels or min(512, in_channels[-1])
        self.out_sizes = None if out_sizes is None else [
            _pair(size) for size in out_sizes
        ]
        self.fusions = nn.ModuleList(
            AttentionFusion(c_in, self.mid_channels, c_out, i < num - 1)
            for i, (c_in, c_out) in enumerate(zip(in_channels, out_channels)))

    def _check(self, features: Sequence[Tensor]) -> List[Tensor]:
        maps = []
        if isinstance(features, (list, tuple)) and len(features) == len(
                self.in_channels):
            maps = [f[:, :, None, None] if f.dim() == 2 else f
                    for f in features]
        if not maps or any(
                f.dim() != 4 or f.shape[1] != c
                for f, c in zip(maps, self.in_channels)):
            got = ([tuple(f.shape) for f in features] if isinstance(
                features, (list, tuple)) else type(features).__name__)
            raise ValueError(
                f'ABFConnector expects {len(self.in_channels)} student '
                f'features (shallow to deep) with channels '
                f'{list(self.in_channels)}, got shapes {got}; check the '
                'Group recorder sources and in_channels')
        return maps

    def forward_train(self, features: Sequence[Tensor]) -> List[Tensor]:
        maps = self._check(features)
        outputs: List[Tensor] = [None] * len(maps)
        residual = None
        for i in reversed(range(len(maps))):
            out_size = None if self.out_sizes is None else self.out_sizes[i]
            outputs[i], residual = self.fusions[i](maps[i], residual,
                                                   out_size)
        return outputs
