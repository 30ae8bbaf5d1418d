"""ReviewKD's hierarchical context loss (HCL)."""
from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_count, check_range, shape_of
from ..ops import compute_dtype
from ..warmup import WarmupMixin


def _as_map(feature: Tensor) -> Tensor:
    """A pooled (N, C) feature as an (N, C, 1, 1) map; maps unchanged."""
    return feature[:, :, None, None] if feature.dim() == 2 else feature


@MODELS.register_module()
class HCLLoss(WarmupMixin, nn.Module):
    """Hierarchical context loss of "Distilling Knowledge via Knowledge
    Review" (Chen et al., CVPR 2021, arXiv 2104.09044).

    For each pair of fused student feature ``F_S`` (the output of
    :class:`~mmcls_kd.models.connectors.ABFConnector`) and teacher feature
    ``F_T`` of the same shape, the mean squared error of the maps and of
    their average-pooled versions at the ``levels`` (4x4, 2x2, 1x1), each
    level smaller than the map's height counted, weighted 1, 1/2, 1/4, ...
    in that order and normalised by the sum of the weights used::

        HCL(F_S, F_T) = (MSE(F_S, F_T)
                         + sum_k 2^-k MSE(pool_k(F_S), pool_k(F_T)))
                        / (1 + sum_k 2^-k)

    The loss is the sum of HCL over the pairs times ``loss_weight`` (and the
    warm-up factor). A pooled (N, C) feature counts as an (N, C, 1, 1) map.

    Args:
        levels (Sequence[int]): output sizes of the pyramid pooling, in the
            order their weights halve. Defaults to (4, 2, 1), the official
            code's.
        warmup_epochs (int): ramp the loss up linearly over this many
            epochs (:class:`WarmupMixin`); 0 disables the warm-up. Defaults
            to 0.
        warmup_first_epoch (int): The first epoch's number in
            ``min(epoch / warmup_epochs, 1)``: 0 as ReviewKD's own code
            (no distillation in the first epoch), 1 as mdistiller's.
            Defaults to 1.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 levels: Sequence[int] = (4, 2, 1),
                 warmup_epochs: int = 0,
                 warmup_first_epoch: int = 1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.levels = tuple(
            check_count(owner, f'levels[{i}]', level, 1)
            for i, level in enumerate(levels))
        self.init_warmup(warmup_epochs, warmup_first_epoch)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Sequence[Tensor],
                preds_T: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Sequence[Tensor]): fused student features.
            preds_T (Sequence[Tensor]): teacher features in the same order;
                detached here.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        if (not isinstance(preds_S, (list, tuple))
                or not isinstance(preds_T, (list, tuple))
                or len(preds_S) != len(preds_T) or not preds_S):
            raise ValueError(
                f'{owner}: preds_S and preds_T must be non-empty lists of '
                f'one length, got student {shape_of(preds_S)} and teacher '
                f'{shape_of(preds_T)}')
        student_maps = [_as_map(f) for f in preds_S]
        teacher_maps = [_as_map(f.detach()) for f in preds_T]
        for i, (fs, ft) in enumerate(zip(student_maps, teacher_maps)):
            if fs.dim() != 4 or fs.shape != ft.shape:
                raise ValueError(
                    f'{owner}: student feature {i} {shape_of(preds_S[i])} '
                    f'does not fit teacher feature {i} '
                    f'{shape_of(preds_T[i])}; all pairs: student '
                    f'{shape_of(preds_S)}, teacher {shape_of(preds_T)}')
        dtype = compute_dtype(*student_maps, *teacher_maps)
        total = 0.0
        for fs, ft in zip(student_maps, teacher_maps):
            fs, ft = fs.to(dtype), ft.to(dtype)
            loss = F.mse_loss(fs, ft)
            weight, weight_sum = 1.0, 1.0
            for level in self.levels:
                if level >= fs.shape[2]:
                    continue
                weight /= 2
                loss = loss + weight * F.mse_loss(
                    F.adaptive_avg_pool2d(fs, level),
                    F.adaptive_avg_pool2d(ft, level))
                weight_sum += weight
            total = total + loss / weight_sum
        return total * self.warmup_factor * self.loss_weight
