"""Flow of solution procedure (FSP) matrices."""
from typing import List, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_feature_lists, check_range
from ..ops import compute_dtype
from .nst import pool_to_smaller


def fsp_matrices(features: Sequence[Tensor]) -> List[Tensor]:
    """The FSP matrix of each pair of consecutive (N, C, H, W) features,
    ``G[n, j, i] = mean_{positions} top[n, j] * bottom[n, i]`` (N, C_top,
    C_bottom), the larger map average-pooled to the smaller one's size."""
    matrices = []
    for bottom, top in zip(features[:-1], features[1:]):
        bottom, top = pool_to_smaller(bottom, top)
        positions = bottom.shape[2] * bottom.shape[3]
        matrices.append(
            torch.bmm(top.flatten(2),
                      bottom.flatten(2).transpose(1, 2)) / positions)
    return matrices


@MODELS.register_module()
class FSPLoss(nn.Module):
    """The loss of "A Gift from Knowledge Distillation: Fast Optimization,
    Network Minimization and Transfer Learning" (Yim et al., CVPR 2017),
    Eqs. 1-2: for consecutive features ``F1`` (h x w x m) and ``F2``
    (h x w x n) the FSP matrix ``G_{i,j} = sum_{s,t} F1_{s,t,i} F2_{s,t,j} /
    (h w)``, and

        L = loss_weight * sum_{pairs} mean (G_S - G_T)^2

    with the mean over the samples and the matrix entries (the CRD benchmark
    code's normalisation; the paper's weights ``lambda_i`` are equal). Where
    two consecutive maps differ in size the larger is average-pooled to the
    smaller one's size, as that code does. Student and teacher features
    must have the same channels at every point (the matrices are compared
    entry by entry).

    MMRazor has no FSP loss.

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Sequence[Tensor],
                preds_T: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (list[Tensor]): The student's features, shallow to deep,
                each (N, C_k, H_k, W_k).
            preds_T (list[Tensor]): The teacher's features at the same
                points, with the same channels; detached here.

        Returns:
            Tensor: A scalar.
        """
        check_feature_lists(type(self).__name__, preds_S, preds_T)
        dtype = compute_dtype(*preds_S, *preds_T)
        # Matrix products: autocast would run them in half precision.
        with torch.autocast(preds_S[0].device.type, enabled=False):
            student = fsp_matrices([s.to(dtype) for s in preds_S])
            teacher = fsp_matrices([t.detach().to(dtype) for t in preds_T])
            loss = sum((s - t).pow(2).mean() for s, t in zip(student, teacher))
        return loss * self.loss_weight
