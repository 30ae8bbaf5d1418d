"""Weighted transformed teacher matching (WTTM)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_range, check_teacher
from .ops import compute_dtype, kl_rows


def wttm_loss(preds_S: Tensor, preds_T: Tensor, *, tau: float = 1.0) -> Tensor:
    """The WTTM loss of each sample, from "Knowledge Distillation Based on
    Transformed Teacher Matching" (Zheng and Yang, ICLR 2024, arXiv
    2402.11148), as the official code (zkxufo/TTM,
    ``distiller_zoo/wttm.py``) computes it. With ``p`` the teacher's
    probabilities, ``q`` the student's (not softened) and ``gamma = 1 /
    tau``::

        p_gamma = p^gamma / U,   U = sum_k p_k^gamma
        L_i     = U * KL(p_gamma || q)

    ``p_gamma`` is the power transform of ``p``, i.e. ``softmax(z_t /
    tau)``; the power sum ``U`` (``exp((1 - gamma) * H_gamma(p))`` with the
    Rényi entropy ``H_gamma``) is the sample-adaptive weight: large where
    the transformed teacher is smooth. Both are computed from
    log-probabilities, finite for fully confident teachers. Teacher logits
    are detached; half-precision inputs are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        tau (float): The temperature of the teacher's transform, ``1 /
            gamma``. Defaults to 1.0.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    dtype = compute_dtype(preds_S, preds_T)
    log_student = F.log_softmax(preds_S.to(dtype), dim=1)
    log_power = F.log_softmax(preds_T.detach().to(dtype), dim=1) / tau
    log_power_sum = torch.logsumexp(log_power, dim=1, keepdim=True)
    kl = kl_rows(log_student, log_power - log_power_sum)
    return log_power_sum.squeeze(1).exp() * kl


@MODELS.register_module()
class WTTMLoss(nn.Module):
    """WTTM loss of "Knowledge Distillation Based on Transformed Teacher
    Matching" (Zheng and Yang, ICLR 2024, arXiv 2402.11148), as the official
    code computes it: :func:`wttm_loss`,
    ``U * KL(softmax(z_t / tau) || softmax(z_s))`` with the power sum
    ``U = sum_k p_k^(1 / tau)`` of the teacher's probabilities, averaged
    over the batch, times ``loss_weight`` (the paper's ``beta``). The head's
    cross-entropy is not part of it. Teacher logits are detached.

    The student is not softened: only the teacher's distribution is
    transformed (the paper's ``gamma`` is ``1 / tau``; the official code's
    ``--ttm_l``). The official README's commands run with cross-entropy
    weight 1 and ``--ttm_l 0.2`` with weight 4 for WTTM added to CRD
    (VGG13 -> VGG8); the per-pair values of the paper are in its appendix
    A.4.

    Args:
        tau (float): The temperature of the teacher's transform, ``1 /
            gamma``. Defaults to 1.0.
        loss_weight (float): Multiplies the loss: the paper's ``beta``.
            Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.tau = check_range(owner, 'tau', tau, 0, low_open=True)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C).
            preds_T (Tensor): Teacher logits, (N, C); detached here.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        check_teacher(type(self).__name__, preds_S, preds_T)
        loss = wttm_loss(preds_S, preds_T, tau=self.tau)
        return loss.mean() * self.loss_weight
