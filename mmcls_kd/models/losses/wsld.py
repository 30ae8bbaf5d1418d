"""Weighted Soft Labels distillation (WSLD)."""
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import (check_labels, check_num_classes, check_range, check_tau,
                     check_teacher)
from .ops import PER_SAMPLE_TAUS, compute_dtype, soften, square, target_index

# Added to the teacher's cross-entropy before dividing by it, as in the
# official code.
_CE_EPS = 1e-7


def wsld_loss(preds_S: Tensor,
              preds_T: Tensor,
              gt_labels: Tensor,
              *,
              tau: Union[float, str] = 1.0,
              t_norm: float = 2.0) -> Tensor:
    """The weighted soft cross-entropy of each sample, ``tau^2 * w_i * H_i``,
    of "Rethinking Soft Labels for Knowledge Distillation: A Bias-Variance
    Tradeoff Perspective" (Zhou et al., ICLR 2021, arXiv 2102.00650): its
    weighted soft label loss as the official code
    (bellymonster/Weighted-Soft-Label-Distillation, ``WSLDistiller``)
    computes it. With ``y`` the target class::

        ce_S = -log softmax(z_s)_y     (temperature 1, detached)
        ce_T = -log softmax(z_t)_y
        w_i  = 1 - exp(-max(ce_S / (ce_T + 1e-7), 0))
        H_i  = -sum_k softmax(z_t / tau)_k log softmax(z_s / tau)_k

    The loss of the method is ``alpha`` times the batch mean of these values
    (:class:`WSLDLoss`; the code applies ``tau^2`` after the mean, the same
    value). The weight carries no gradient. With ``tau='norm'`` or
    ``'zscore'`` the soft term takes NormKD's or logit standardisation's
    per-sample temperatures (see :func:`~.ops.soften`) and ``tau^2`` becomes
    the teacher's ``T_i^2`` or ``t_norm^2``; the weight keeps temperature 1.
    Teacher logits are detached; half-precision inputs are computed in
    float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
            (N, C) whose argmax is ``y``.
        tau (float | str): Temperature of the soft term, or ``'norm'`` or
            ``'zscore'``. Defaults to 1.0.
        t_norm (float): NormKD's ``T_norm`` or the base temperature of
            ``tau='zscore'``; unused with a fixed ``tau``. Defaults to 2.0.

    Returns:
        Tensor: ``tau^2 * w_i * H_i`` of each sample, (N,).
    """
    index = target_index(gt_labels)
    dtype = compute_dtype(preds_S, preds_T)
    student = preds_S.to(dtype)
    teacher = preds_T.detach().to(dtype)
    student_tau, _ = soften(student, tau, t_norm)
    teacher_tau, temperature = soften(teacher, tau, t_norm)
    soft_ce = -(F.softmax(teacher_tau, dim=1) *
                F.log_softmax(student_tau, dim=1)).sum(1)
    with torch.no_grad():
        ce_student = -F.log_softmax(student, dim=1).gather(1, index)
        ce_teacher = -F.log_softmax(teacher, dim=1).gather(1, index)
        ratio = (ce_student / (ce_teacher + _CE_EPS)).clamp_min(0)
        weight = -torch.expm1(-ratio).squeeze(1)
    return square(temperature) * weight * soft_ce


@MODELS.register_module()
class WSLDLoss(nn.Module):
    """Weighted soft label loss of "Rethinking Soft Labels for Knowledge
    Distillation: A Bias-Variance Tradeoff Perspective" (Zhou et al., ICLR
    2021, arXiv 2102.00650), written as the official code computes it::

        L = alpha * mean_i tau^2 * w_i * H_i

    with ``tau^2 * w_i * H_i`` from :func:`wsld_loss`, times
    ``loss_weight``.

    The soft term is the cross-entropy with the teacher's soft labels, as in
    the paper and the code, not the KL divergence: the two differ by the
    teacher's entropy, which does not depend on the student, so gradients
    are the same but the logged value is larger by ``tau^2`` times that
    entropy. The weight is large where the student is worse than the
    teacher on the label and carries no gradient. The head's cross-entropy
    is not part of the loss. Teacher logits are detached.

    Values of the official NKD/USKD repository: CIFAR-100 tau 4, alpha 2.25;
    ImageNet tau 2, alpha 2.5 (the ImageNet values are also those of the
    WSLD code). Mixup/CutMix scores are reduced to their argmax as ``y``.

    With ``tau='norm'`` or ``tau='zscore'`` the soft term takes NormKD's or
    logit standardisation's per-sample temperatures, as in
    :class:`KDLoss`, and ``tau^2`` becomes the teacher's ``T_i^2`` or
    ``t_norm^2``; neither paper applies them to WSLD.

    Args:
        tau (float | str): Temperature of the soft term, or ``'norm'`` or
            ``'zscore'``. Defaults to 1.0.
        alpha (float): Weight of the soft term. Defaults to 1.0.
        t_norm (float): NormKD's ``T_norm`` or the base temperature of
            ``tau='zscore'``; unused with a fixed ``tau``. Defaults to 2.0.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: Union[float, str] = 1.0,
                 alpha: float = 1.0,
                 t_norm: float = 2.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_tau(owner, tau, t_norm)
        self.tau = tau if isinstance(tau, str) else float(tau)
        self.t_norm = float(t_norm)
        self.alpha = check_range(owner, 'alpha', alpha, 0)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                gt_labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C).
            preds_T (Tensor): Teacher logits, (N, C); detached here.
            gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
                (N, C) whose argmax is taken as the target class.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_teacher(owner, preds_S, preds_T)
        if self.tau in PER_SAMPLE_TAUS:
            check_num_classes(owner, preds_S)
        check_labels(owner, gt_labels, preds_S)
        loss = wsld_loss(
            preds_S, preds_T, gt_labels, tau=self.tau, t_norm=self.t_norm)
        return self.alpha * loss.mean() * self.loss_weight
