"""Overhaul of Feature Distillation (OFD): margin ReLU and partial L2."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_range, shape_of
from ..ops import compute_dtype

# Below this probability of a negative response the conditional mean is
# numerically unreliable; the paper's code then uses -3 sigma.
_MIN_NEGATIVE_PROB = 1e-3


def ofd_margin(bn_weight: Tensor, bn_bias: Tensor) -> Tensor:
    """The per-channel margin of OFD, ``E[x | x < 0]`` for ``x ~ N(m, s^2)``
    with ``s = |gamma|`` and ``m = beta`` of the BatchNorm before the ReLU:

        margin = m - s * phi(m / s) / Phi(-m / s)

    (``phi``/``Phi`` the standard normal density/CDF), or ``-3 s`` where
    ``Phi(-m / s) <= 0.001``, as in the paper's code. Computed in float64
    and detached.

    Returns:
        Tensor: shape (C,), the dtype of ``bn_weight``.
    """
    if bn_weight.shape != bn_bias.shape or bn_weight.dim() != 1:
        raise ValueError(f'ofd_margin: bn_weight and bn_bias must be vectors '
                         f'of one shape, got {shape_of(bn_weight)} and '
                         f'{shape_of(bn_bias)}')
    std = bn_weight.detach().double().abs().clamp_min(1e-12)
    mean = bn_bias.detach().double()
    ratio = mean / std
    negative_prob = torch.special.ndtr(-ratio)
    density = torch.exp(-ratio**2 / 2) / math.sqrt(2 * math.pi)
    conditional = mean - std * density / negative_prob.clamp_min(1e-300)
    margin = torch.where(negative_prob > _MIN_NEGATIVE_PROB, conditional,
                         -3 * std)
    return margin.to(bn_weight.dtype)


@MODELS.register_module()
class OFDLoss(nn.Module):
    """The distillation loss of "A Comprehensive Overhaul of Feature
    Distillation" (Heo et al., ICCV 2019, arXiv 1904.01866): the margin
    ReLU on the teacher's side and the partial L2 distance.

    The teacher's pre-ReLU feature goes through the margin ReLU
    ``max(T, margin)`` (margin per channel from the teacher's BatchNorm
    before that ReLU, :func:`ofd_margin`); the student's pre-ReLU feature,
    after its connector (1x1 conv + BN), is compared with the partial L2
    distance, which ignores a position where the student is already below a
    non-positive target::

        L = loss_weight / N * sum_{positions} (S - T')^2 [S > T' or T' > 0]

    with ``T' = max(T, margin)`` and ``N`` the batch size. The paper's CIFAR
    code divides the sum by the batch size and 1000 and each earlier stage
    by a further factor 2 (mdistiller's ImageNet config: 1e-4 instead of
    1e-3): put those factors in ``loss_weight``.

    The margin is recomputed at every call from the teacher's BatchNorm
    parameters (recorded with MMRazor's ``Parameter`` recorder), so it
    always belongs to the loaded teacher; it is C numbers, cheap.

    MMRazor's ``OFDLoss`` computes the same partial L2, but its margins are
    set by its own ``OverhaulFeatureDistillation`` algorithm (non-strict
    teacher loading, BatchNorm-only teacher eval), not by
    :class:`~mmcls_kd.models.algorithms.TeacherDistill`, which loads the
    teacher after the distiller is built; and its teacher connector reads
    the BatchNorm's output, which in a ResNet block is not the pre-ReLU
    feature (the residual is added after the BatchNorm).

    Args:
        pool_teacher (bool): When the teacher's map is larger than the
            student's, average-pool it to the student's size (how mdistiller
            runs OFD on pairs whose stages differ in resolution). False
            raises on any size mismatch. Defaults to False.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, pool_teacher: bool = False,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.pool_teacher = pool_teacher
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor, bn_weight: Tensor,
                bn_bias: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's connected feature (N, C, H, W).
            preds_T (Tensor): The teacher's pre-ReLU feature (N, C, H', W');
                detached here.
            bn_weight (Tensor): Weight of the teacher's BatchNorm before
                that ReLU, (C,).
            bn_bias (Tensor): Its bias, (C,).

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        if preds_S.dim() != 4 or preds_T.dim() != 4:
            raise ValueError(f'{owner}: features must be (N, C, H, W), got '
                             f'student {shape_of(preds_S)} and teacher '
                             f'{shape_of(preds_T)}')
        teacher = preds_T.detach()
        if (self.pool_teacher and teacher.shape[:2] == preds_S.shape[:2]
                and teacher.shape[2:] != preds_S.shape[2:]):
            teacher = F.adaptive_avg_pool2d(teacher, preds_S.shape[2:])
        if teacher.shape != preds_S.shape:
            raise ValueError(
                f'{owner}: the connected student feature '
                f'{shape_of(preds_S)} does not fit the teacher feature '
                f'{shape_of(preds_T)}; check the recorder sources and the '
                "connector's out_channels")
        if bn_weight.numel() != teacher.shape[1]:
            raise ValueError(
                f'{owner}: the teacher BatchNorm has {bn_weight.numel()} '
                f'channels but the teacher feature is {shape_of(preds_T)}; '
                'record the BatchNorm right before the recorded ReLU')
        dtype = compute_dtype(preds_S, teacher)
        student = preds_S.to(dtype)
        margin = ofd_margin(bn_weight, bn_bias).to(student).view(1, -1, 1, 1)
        target = torch.maximum(teacher.to(dtype), margin)
        counted = (student > target) | (target > 0)
        distance = (student - target).pow(2) * counted
        return distance.sum() / student.shape[0] * self.loss_weight
