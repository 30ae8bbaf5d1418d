"""Similarity-preserving knowledge distillation (SP)."""
import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_batch_pair, check_range
from ..ops import compute_dtype, unit_vectors


def similarity_matrix(feature: Tensor) -> Tensor:
    """``G = A A^T`` of the flattened features ``A`` (N, D), each row
    L2-normalised (a zero row stays zero, with zero gradient), (N, N)."""
    flat = feature.flatten(1)
    return unit_vectors(flat @ flat.t(), dim=1)


@MODELS.register_module()
class SPLoss(nn.Module):
    """The loss of "Similarity-Preserving Knowledge Distillation" (Tung and
    Mori, ICCV 2019, arXiv 1907.09682): the pairwise similarities
    of a batch's activation maps, row-normalised, must agree between student
    and teacher:

        loss_weight / N^2 * ||G_T - G_S||_F^2

    (``G`` from :func:`similarity_matrix`). The CRD benchmark code applies it
    to the last stage's output with weight 3000; the two networks' maps may
    differ in channels and size. MMRazor has no SP loss.

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's features (N, ...).
            preds_T (Tensor): The teacher's features (N, ...); detached here.

        Returns:
            Tensor: A scalar.
        """
        check_batch_pair(type(self).__name__, preds_S, preds_T)
        dtype = compute_dtype(preds_S, preds_T)
        # The Gram matrices in float32 even under autocast: half-precision
        # products of long feature vectors lose the small similarities.
        with torch.autocast(preds_S.device.type, enabled=False):
            student = similarity_matrix(preds_S.to(dtype))
            teacher = similarity_matrix(preds_T.detach().to(dtype))
            loss = (teacher - student).square().sum() / preds_S.shape[0]**2
        return loss * self.loss_weight
