"""The angle-wise loss of Relational Knowledge Distillation (RKD)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_range, shape_of
from ..ops import compute_dtype, unit_vectors


def _angles(embedding: Tensor) -> Tensor:
    """``<e_ij, e_kj>`` for all (j, i, k), ``e_ij`` the unit vector from
    ``x_j`` to ``x_i``; a zero difference has no direction and counts as
    0."""
    unit = unit_vectors(embedding.unsqueeze(0) - embedding.unsqueeze(1), dim=2)
    return torch.bmm(unit, unit.transpose(1, 2))


@MODELS.register_module()
class RKDAngleLoss(nn.Module):
    """The angle-wise distillation loss of "Relational Knowledge
    Distillation" (Park et al., CVPR 2019, arXiv 1904.05068).

    With ``psi(x_i, x_j, x_k) = <e_ij, e_kj>``, the cosine of the angle at
    ``x_j`` (``e_ij = (x_i - x_j) / ||x_i - x_j||``), the loss is the Huber
    loss (delta 1) between the student's and the teacher's ``psi`` averaged
    over all N^3 ordered triplets (degenerate ones, with a zero difference,
    count as 0 on both sides), times ``loss_weight``. Embeddings are
    flattened per sample.

    The forward value is that of MMRazor's ``AngleWiseRKD`` (and of the
    paper's code). The difference is the gradient: both normalise with
    ``F.normalize``, whose gradient at a zero vector is ``1 / eps = 1e12``
    times the incoming one, so two samples with the same student embedding
    (e.g. all-zero pooled features after a ReLU) whose teacher embeddings
    differ blow the student up in one step. Here a zero difference has
    zero gradient.

    Args:
        with_l2_norm (bool): L2-normalise each embedding first. Defaults to
            False (the CRD / DKD benchmark code applies RKD to the raw
            pooled features).
        loss_weight (float): Multiplies the loss. Defaults to 50.0 (the
            paper's angle weight).
    """

    def __init__(self, with_l2_norm: bool = False,
                 loss_weight: float = 50.0) -> None:
        super().__init__()
        self.with_l2_norm = with_l2_norm
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student embeddings (N, ...).
            preds_T (Tensor): Teacher embeddings (N, ...); detached here.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        if preds_S.dim() < 2 or preds_S.shape[0] != preds_T.shape[0] \
                or preds_S.shape[0] < 2:
            raise ValueError(
                f'{owner}: student and teacher embeddings need one '
                f'batch of at least 2 samples, got {shape_of(preds_S)} and '
                f'{shape_of(preds_T)}')
        dtype = compute_dtype(preds_S, preds_T)
        student = preds_S.flatten(1).to(dtype)
        teacher = preds_T.detach().flatten(1).to(dtype)
        # The angles are matrix products, which autocast would run in half
        # precision: the cosines of nearly parallel differences then lose
        # their digits (a 1e-3 relative error at bf16).
        with torch.autocast(student.device.type, enabled=False):
            if self.with_l2_norm:
                student = unit_vectors(student, 1)
                teacher = unit_vectors(teacher, 1)
            loss = F.smooth_l1_loss(_angles(student), _angles(teacher))
        return loss * self.loss_weight
