"""Probabilistic knowledge transfer (PKT)."""
import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_batch_pair, check_range
from ..ops import compute_dtype


def cosine_conditionals(feature: Tensor, eps: float) -> Tensor:
    """PKT's conditional probabilities ``p(j | i)`` (N, N): cosine
    similarities of the flattened features (each divided by its norm plus
    ``eps``) moved to [0, 1] by ``(cos + 1) / 2``, each row divided by its
    sum. The diagonal (``j = i``) is included, as in the paper's code."""
    flat = feature.flatten(1)
    # vector_norm's gradient at a zero vector is 0 (sqrt(sum(x^2)) gives
    # NaN there).
    unit = flat / (torch.linalg.vector_norm(flat, dim=1, keepdim=True) + eps)
    kernel = (unit @ unit.t() + 1) / 2
    return kernel / kernel.sum(dim=1, keepdim=True)


@MODELS.register_module()
class PKTLoss(nn.Module):
    """The loss of "Learning Deep Representations with Probabilistic
    Knowledge Transfer" (Passalis and Tefas, ECCV 2018, arXiv 1803.10837),
    with its cosine-similarity kernel: the KL divergence between
    the teacher's and the student's conditional probabilities of the
    samples of a batch (:func:`cosine_conditionals`),

        loss_weight * mean_{i, j} p_T(j|i) log((p_T(j|i) + eps) /
                                               (p_S(j|i) + eps))

    averaged over the N^2 pairs, with ``eps`` 1e-7, as the authors' code
    (and the CRD benchmark code, which weighs it 30000 on the pooled
    features) computes it. MMRazor has no PKT loss.

    Args:
        eps (float): Added to the norms and the probabilities. Defaults to
            1e-7 (the authors' code).
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, eps: float = 1e-7, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.eps = check_range(owner, 'eps', eps, 0, low_open=True)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

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
        with torch.autocast(preds_S.device.type, enabled=False):
            student = cosine_conditionals(preds_S.to(dtype), self.eps)
            teacher = cosine_conditionals(preds_T.detach().to(dtype),
                                          self.eps)
            divergence = teacher * torch.log(
                (teacher + self.eps) / (student + self.eps))
        return divergence.mean() * self.loss_weight
