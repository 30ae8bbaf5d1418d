"""Self-supervised knowledge distillation with singular value decomposition
(KD-SVD)."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_count, check_feature_lists, check_range

# The RBF kernel's 2 sigma^2 in the reference code.
_RBF_SCALE = 8.0


def _finite(x: Tensor) -> Tensor:
    return torch.where(torch.isfinite(x), x, torch.zeros_like(x))


def right_singular_vectors(feature: Tensor,
                           count: int) -> Tuple[Tensor, Tensor]:
    """The first ``count`` right singular vectors (N, C, count) of each
    sample's (H W, C) feature matrix and its singular values (N, count),
    L2-normalised over the ``count`` kept, with non-finite entries as 0
    (as the reference code)."""
    matrix = feature.flatten(2).transpose(1, 2)
    _, values, vh = torch.linalg.svd(matrix, full_matrices=False)
    count = min(count, values.shape[1])
    vectors = _finite(vh[:, :count].transpose(1, 2))
    values = _finite(values[:, :count])
    return (nn.functional.normalize(vectors, dim=1),
            nn.functional.normalize(values, dim=1))


@MODELS.register_module()
class KDSVDLoss(nn.Module):
    """The loss of "Self-supervised Knowledge Distillation Using Singular
    Value Decomposition" (Lee et al., ECCV 2018, arXiv 1807.06819), as the
    CRD benchmark code (RepDistiller) computes it.

    For each recorded point, each sample's (H W, C) feature matrix is
    decomposed; the teacher keeps its first ``k`` right singular vectors
    ``v_t`` and the student its first ``k + 3``, of which the one with the
    largest absolute cosine to each teacher vector is kept, its sign
    matched (``v_s``). Both are scaled by the teacher's singular values
    (normalised over the ``k``). For each pair of consecutive points the
    RBF relation ``R[c, c', l] = exp(-(v[c, l] - v_prev[c', l])^2 / 8)``
    is formed for student and teacher, and

        L = loss_weight / N * sum_{pairs} sum (R_S - R_T)^2

    (non-finite terms counted as 0). Student and teacher need the same
    channels at each point.

    A singular vector's sign is arbitrary: CPU and GPU routines return
    either, and the teacher's relation depends on it. Here each teacher
    vector's sign is fixed so that its entries sum to a non-negative
    number (for the leading vector of a post-ReLU map, whose entries share
    one sign, it is the positive one); the reference code leaves it to the
    routine. The student's vectors are matched to the teacher's, so their
    sign does not matter.

    MMRazor has no KD-SVD loss. mdistiller's port reshapes the feature to
    (C H, W) instead of (H W, C), so its "singular vectors" run over the
    map's width; this follows the paper (vectors over the channels).

    Args:
        k (int): Singular vectors compared per point. Defaults to 1 (the
            reference code's).
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, k: int = 1, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.k = check_count(owner, 'k', k, 1)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def _vectors(self, student: Tensor,
                 teacher: Tensor) -> Tuple[Tensor, Tensor]:
        v_t, s_t = right_singular_vectors(teacher, self.k)
        v_t = v_t * torch.where(v_t.sum(1, keepdim=True) < 0, -1.0, 1.0)
        v_s, _ = right_singular_vectors(student, self.k + 3)
        cosine = torch.bmm(v_s.transpose(1, 2), v_t)
        best = cosine.abs() == cosine.abs().amax(1, keepdim=True)
        matched = torch.bmm(
            v_s, torch.where(best, cosine.sign(), torch.zeros_like(cosine)))
        scale = s_t.unsqueeze(1)
        return matched * scale, v_t * scale

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
        # SVD has no half-precision kernels; float64 inputs stay float64.
        dtype = torch.float64 if preds_S[0].dtype == torch.float64 \
            else torch.float32
        loss = preds_S[0].new_zeros((), dtype=dtype)
        previous = None
        with torch.autocast(preds_S[0].device.type, enabled=False):
            for s, t in zip(preds_S, preds_T):
                current = self._vectors(s.to(dtype), t.detach().to(dtype))
                if previous is not None:
                    rbf_s, rbf_t = (torch.exp(
                        -(now.unsqueeze(2) - before.unsqueeze(1)).pow(2) /
                        _RBF_SCALE) for now, before in zip(current, previous))
                    loss = loss + _finite(
                        (rbf_s - rbf_t.detach()).pow(2)).sum()
                previous = current
        return loss / preds_S[0].shape[0] * self.loss_weight
