"""The learnable parts of FitNet, VID and CC, as the CRD benchmark code
builds them: each checks its input first and fails with the shape it got
and the one its config asks for."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
from mmrazor.models.architectures.connectors import ConvModuleConnector
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor, nn
from torch.nn import functional as F

from mmcls_kd.registry import MODELS
from .connectors import check_flat, check_map

Size = Union[int, Sequence[int]]


def _pair(size: Size) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


@MODELS.register_module()
class FitNetRegressor(ConvModuleConnector):
    """FitNet's regressor ("FitNets: Hints for Thin Deep Nets", arXiv
    1412.6550) as the CRD benchmark code builds it (``ConvReg``): a
    convolution from the student's guided layer to the teacher's hint
    channels, BatchNorm and ReLU (MMRazor's ``ConvModuleConnector``). The
    convolution follows the two maps' sizes: 3x3 with stride 2 when the
    student's map is twice the teacher's, otherwise a kernel of
    ``1 + S - T`` (1x1 for maps of one size).

    Unlike that code, the convolution has no bias: the BatchNorm right
    after it removes any constant, so the outputs are the same functions of
    the input. It starts from mmcv's He initialisation (fan-out) rather
    than PyTorch's default, the BatchNorm from 1 and 0.

    Args:
        in_channels (int): channels of the student's feature.
        out_channels (int): channels of the teacher's feature.
        student_size (int | Sequence[int], optional): the student map's
            (H, W); None: the teacher's.
        teacher_size (int | Sequence[int], optional): the teacher map's
            (H, W); None: the student's. Both None: a 1x1 convolution for
            maps of any (equal) size.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 student_size: Optional[Size] = None,
                 teacher_size: Optional[Size] = None,
                 init_cfg: Optional[dict] = None) -> None:
        student = _pair(student_size or teacher_size or 1)
        teacher = _pair(teacher_size or student_size or 1)
        if student == tuple(2 * t for t in teacher):
            conv = dict(kernel_size=3, stride=2, padding=1)
        elif all(s >= t for s, t in zip(student, teacher)):
            conv = dict(
                kernel_size=tuple(1 + s - t for s, t in zip(student,
                                                            teacher)))
        else:
            raise ValueError(
                f'FitNetRegressor: a student map of {student} cannot be '
                f'regressed to a larger teacher map of {teacher}')
        super().__init__(
            in_channels,
            out_channels,
            norm_cfg=dict(type='BN'),
            act_cfg=dict(type='ReLU'),
            init_cfg=init_cfg,
            **conv)
        self.in_channels = in_channels
        self.student_size = student if student_size or teacher_size else None

    def forward_train(self, feature: Tensor) -> Tensor:
        check_map(
            'FitNetRegressor', feature, self.in_channels, self.student_size,
            'check the student recorder source (the guided layer), '
            'in_channels and student_size')
        return super().forward_train(feature)


@MODELS.register_module()
class VIDRegressor(BaseConnector):
    """The learnt Gaussian of VID ("Variational Information Distillation
    for Knowledge Transfer", arXiv 1904.05835) for one teacher feature:
    its mean, regressed from the student's feature by three 1x1
    convolutions without bias and ReLUs between them, and its variance per
    teacher channel, ``softplus(alpha_c) + eps``, as the authors' code (and
    the CRD benchmark code) builds them; the parameters start from
    PyTorch's defaults and a variance of ``init_var``.

    Returns ``(mean, variance)``, what :class:`~mmcls_kd.models.losses.
    VIDLoss` takes as ``preds_S``.

    Args:
        in_channels (int): channels of the student's feature.
        out_channels (int): channels of the teacher's feature.
        mid_channels (int, optional): channels between the convolutions.
            Defaults to ``out_channels`` (the benchmark's).
        init_var (float): the variance at the start. Defaults to 5.0.
        eps (float): the variance's floor. Defaults to 1e-5.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: Optional[int] = None,
                 init_var: float = 5.0,
                 eps: float = 1e-5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not init_var > eps > 0:
            raise ValueError(f'VIDRegressor: needs init_var > eps > 0, got '
                             f'init_var={init_var}, eps={eps}')
        mid_channels = mid_channels or out_channels
        self.regressor = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False), nn.ReLU(),
            nn.Conv2d(mid_channels, mid_channels, 1, bias=False), nn.ReLU(),
            nn.Conv2d(mid_channels, out_channels, 1, bias=False))
        # softplus(alpha) = init_var - eps at the start.
        start = math.log(math.expm1(init_var - eps))
        self.alpha = nn.Parameter(torch.full((out_channels, ), start))
        self.in_channels = in_channels
        self.eps = eps

    def forward_train(self, feature: Tensor) -> Tuple[Tensor, Tensor]:
        check_map(
            'VIDRegressor', feature, self.in_channels, None,
            'check the student recorder source and in_channels')
        return self.regressor(feature), F.softplus(self.alpha) + self.eps


@MODELS.register_module()
class LinearEmbedding(BaseConnector):
    """A linear layer on the flattened feature, CC's embedding in the CRD
    benchmark code (``LinearEmbed``: one for the student and one for the
    teacher, both trained; PyTorch's default initialisation).

    Args:
        in_channels (int): values per sample of the recorded feature.
        embed_dim (int): size of the embedding. Defaults to 128 (the
            benchmark's).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dim: int = 128,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.linear = nn.Linear(in_channels, embed_dim)
        self.in_channels = in_channels

    def forward_train(self, feature: Tensor) -> Tensor:
        check_flat('LinearEmbedding', feature, self.in_channels)
        return self.linear(feature.flatten(1))
