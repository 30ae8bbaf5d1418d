"""Neuron selectivity transfer (NST)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_range, shape_of
from ..ops import compute_dtype


def pool_to_smaller(student: Tensor, teacher: Tensor):
    """The (N, C, H, W) map of larger height average-pooled to the other's
    (H, W), as the CRD benchmark code matches stages of different
    resolution; maps of equal height are returned as they are."""
    if student.shape[2] > teacher.shape[2]:
        student = F.adaptive_avg_pool2d(student, teacher.shape[2:])
    elif student.shape[2] < teacher.shape[2]:
        teacher = F.adaptive_avg_pool2d(teacher, student.shape[2:])
    return student, teacher


def _poly_kernel_mean(a: Tensor, b: Tensor) -> Tensor:
    """Mean over (sample, i, j) of ``(a_i . b_j)^2`` for (N, C, D) inputs."""
    return torch.bmm(a, b.transpose(1, 2)).pow(2).mean()


@MODELS.register_module()
class NSTLoss(nn.Module):
    """The loss of "Like What You Like: Knowledge Distill via Neuron
    Selectivity Transfer" (Huang and Wang, arXiv 1707.01219), Eq. 7 with
    the polynomial kernel ``k(x, y) = (x^T y)^2`` (d = 2, c = 0, the
    paper's choice):

        MMD^2 = mean_{i,i'} k(t_i, t_i') + mean_{j,j'} k(s_j, s_j')
                - 2 mean_{i,j} k(s_j, t_i)

    per sample, where ``s_j`` (``t_i``) is channel ``j`` (``i``) of the
    student's (teacher's) feature map flattened over the positions and
    L2-normalised; the mean over the batch, times ``loss_weight``. The
    channel counts may differ; the positions must be the same, except that
    with ``pool`` the larger map is average-pooled to the smaller one's size
    (as the CRD benchmark code does).

    MMRazor has no NST loss.

    Args:
        pool (bool): Average-pool the larger map. Defaults to True.
        loss_weight (float): Multiplies the loss. Defaults to 1.0 (the CRD
            benchmark uses 50 per stage).
    """

    def __init__(self, pool: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.pool = pool
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's feature (N, C_S, H, W).
            preds_T (Tensor): The teacher's feature (N, C_T, H', W');
                detached here.

        Returns:
            Tensor: A scalar.
        """
        student, teacher = preds_S, preds_T.detach()
        if student.dim() == 4 and teacher.dim() == 4 and self.pool:
            student, teacher = pool_to_smaller(student, teacher)
        if student.dim() != 4 or teacher.dim() != 4 or \
                student.shape[0] != teacher.shape[0] or \
                student.shape[2:] != teacher.shape[2:]:
            expected = ('(N, C, H, W) features of one batch whose sizes '
                        'pool to one' if self.pool else
                        '(N, C, H, W) features of one batch and one size')
            raise ValueError(
                f'{type(self).__name__}: expected {expected}, got student '
                f'{shape_of(preds_S)} and teacher {shape_of(preds_T)}')
        dtype = compute_dtype(student, teacher)
        # The kernels are matrix products, which autocast would run in half
        # precision.
        with torch.autocast(student.device.type, enabled=False):
            s = F.normalize(student.to(dtype).flatten(2), dim=2)
            t = F.normalize(teacher.to(dtype).flatten(2), dim=2)
            mmd = (
                _poly_kernel_mean(t, t) + _poly_kernel_mean(s, s) -
                2 * _poly_kernel_mean(s, t))
        return mmd * self.loss_weight
