"""Correlation congruence (CC)."""
import math

import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import (check_count, check_feature_shape, check_option,
                      check_range)
from ..ops import compute_dtype, unit_vectors

#: The CRD benchmark code's CC (the code the CC authors sent to CRD's).
REPDISTILLER = 'repdistiller'
#: The paper's correlation matrices, Gaussian RBF kernel by Taylor series.
TAYLOR_RBF = 'taylor_rbf'


def taylor_rbf_correlation(embedding: Tensor, gamma: float,
                           order: int) -> Tensor:
    """The CC paper's correlation matrix (N, N) of L2-normalised embeddings
    ``f``: the Gaussian RBF ``exp(-gamma ||f_i - f_j||^2) = exp(-2 gamma)
    exp(2 gamma f_i . f_j)`` with the second exponential replaced by its
    Taylor series up to ``order``."""
    unit = unit_vectors(embedding, dim=1)
    similarity = unit @ unit.t()
    correlation = torch.zeros_like(similarity)
    for power in range(order + 1):
        coefficient = math.exp(-2 * gamma) * (2 * gamma)**power \
            / math.factorial(power)
        correlation = correlation + coefficient * similarity.pow(power)
    return correlation


@MODELS.register_module()
class CCLoss(nn.Module):
    """The loss of "Correlation Congruence for Knowledge Distillation"
    (Peng et al., ICCV 2019, arXiv 1904.01802) on embeddings (N, D) of
    student and teacher (each projected by its own learnable linear
    embedding, a connector).

    Two forms:

    - ``'repdistiller'`` (default): what the CRD benchmark code runs (code
      the CC authors sent to CRD's), and what produced its CC numbers: with
      ``d_i = |s_i - t_i|`` per sample, the mean over the N - 1 consecutive
      pairs of the batch of ``sum_k d_i[k] d_{i+1}[k]``. It is not the
      paper's equation.
    - ``'taylor_rbf'``: the paper's equation,
      ``1 / N^2 * ||C_T - C_S||_F^2`` with ``C`` the correlation matrices
      of :func:`taylor_rbf_correlation` (``gamma``, ``order``).

    ``loss_weight`` multiplies either (the benchmark weighs CC 0.02).
    MMRazor has no CC loss.

    Args:
        mode (str): ``'repdistiller'`` or ``'taylor_rbf'``. Defaults to
            ``'repdistiller'``.
        gamma (float): The RBF kernel's ``gamma`` (``'taylor_rbf'`` only).
            Defaults to 0.4, as public re-implementations of the paper.
        order (int): The Taylor series' order (``'taylor_rbf'`` only).
            Defaults to 2, as public re-implementations of the paper.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 mode: str = REPDISTILLER,
                 gamma: float = 0.4,
                 order: int = 2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_option(owner, 'mode', mode, (REPDISTILLER, TAYLOR_RBF))
        self.mode = mode
        self.gamma = check_range(owner, 'gamma', gamma, 0, low_open=True)
        self.order = check_count(owner, 'order', order, 0)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's embeddings (N, D).
            preds_T (Tensor): The teacher's embeddings (N, D), D the
                student's; not detached: the teacher's embedding trains.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        check_feature_shape(owner, 'preds_T', preds_T, (None, None))
        check_feature_shape(owner, 'preds_S', preds_S, tuple(preds_T.shape))
        if preds_S.shape[0] < 2:
            raise ValueError(f'{owner}: needs a batch of at least 2 '
                             f'samples, got {tuple(preds_S.shape)}')
        dtype = compute_dtype(preds_S, preds_T)
        student, teacher = preds_S.to(dtype), preds_T.to(dtype)
        with torch.autocast(student.device.type, enabled=False):
            if self.mode == REPDISTILLER:
                gap = (student - teacher).abs()
                loss = (gap[:-1] * gap[1:]).sum(dim=1).mean()
            else:
                loss = (taylor_rbf_correlation(teacher, self.gamma,
                                               self.order) -
                        taylor_rbf_correlation(student, self.gamma,
                                               self.order)).square().mean()
        return loss * self.loss_weight
