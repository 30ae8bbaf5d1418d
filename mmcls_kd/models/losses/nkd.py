"""Normalized Knowledge Distillation (NKD)."""
from typing import Union

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import (check_labels, check_logits, check_num_classes,
                     check_option, check_range, check_tau)
from .ops import (PER_SAMPLE_TAUS, compute_dtype, drop_classes, soften, square,
                  target_index)

_NON_TARGET_MODES = ('normalized', 'kd', 'none')


def nkd_loss(preds_S: Tensor,
             preds_T: Tensor,
             gt_labels: Tensor,
             *,
             tau: Union[float, str] = 1.0,
             gamma: float = 1.5,
             non_target: str = 'normalized',
             t_norm: float = 2.0) -> Tensor:
    """The NKD loss of each sample, Eq. 4 of "From Knowledge Distillation to
    Self-Knowledge Distillation: A Unified Approach with Normalized Loss and
    Customized Soft Labels" (Yang et al., ICCV 2023, arXiv 2303.13005).

    With ``t`` the target class, ``S``/``T`` the student's and the
    teacher's probabilities and ``N(.)`` the softmax over the non-target
    logits divided by ``tau``::

        L_i = -T_t log S_t - gamma * tau^2 * sum_{i != t} N(T_i) log N(S_i)

    The target term is taken at temperature 1. Teacher logits are detached;
    half-precision inputs are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
            (N, C) whose argmax is the target class (as the official code
            takes it).
        tau (float | str): Temperature of the non-target term, or
            ``'norm'``: NormKD's per-sample temperatures (see
            :func:`kd_loss`), the term then weighted by the teacher's
            ``T_i^2``, or ``'zscore'``: logit standardisation with the base
            temperature ``t_norm``, the term weighted by ``t_norm^2``. The
            target term keeps the raw logits. Defaults to 1.0.
        gamma (float): Weight of the non-target term. Defaults to 1.5.
        non_target (str): 'normalized' (the term above), 'kd' (KD's
            unnormalised ``-sum_{i != t} T_i log S_i`` with full-softmax
            probabilities at ``tau``, with the same ``gamma * tau^2``) or
            'none' (target term only): Table 5. Defaults to 'normalized'.
        t_norm (float): NormKD's factor or the base temperature of
            ``tau='zscore'``; unused with a fixed ``tau``. Defaults to 2.0.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    check_option('nkd_loss', 'non_target', non_target, _NON_TARGET_MODES)
    index = target_index(gt_labels)
    dtype = compute_dtype(preds_S, preds_T)
    student = preds_S.to(dtype)
    teacher = preds_T.detach().to(dtype)

    log_prob_t = F.log_softmax(student, dim=1).gather(1, index)
    teacher_t = F.softmax(teacher, dim=1).gather(1, index)
    loss = -(teacher_t * log_prob_t).squeeze(1)
    if non_target == 'none':
        return loss
    student_tau, _ = soften(student, tau, t_norm)
    teacher_tau, temperature = soften(teacher, tau, t_norm)
    if non_target == 'normalized':
        log_student = F.log_softmax(drop_classes(student_tau, index), dim=1)
        soft_teacher = F.softmax(drop_classes(teacher_tau, index), dim=1)
    else:
        log_student = F.log_softmax(student_tau, dim=1)
        soft_teacher = F.softmax(teacher_tau, dim=1).scatter(1, index, 0.0)
    non_target_loss = -(soft_teacher * log_student).sum(1)
    return loss + gamma * square(temperature) * non_target_loss


@MODELS.register_module()
class NKDLoss(nn.Module):
    """Normalized KD loss, Eq. 4 of "From Knowledge Distillation to
    Self-Knowledge Distillation: A Unified Approach with Normalized Loss and
    Customized Soft Labels" (Yang et al., ICCV 2023, arXiv 2303.13005):
    :func:`nkd_loss`,

        L = -T_t log S_t - gamma * tau^2 * sum_{i != t} N(T_i) log N(S_i)

    averaged over the batch, times ``loss_weight``; the head's own
    cross-entropy (Eq. 5) is not part of it. Teacher logits are detached.

    Args:
        tau (float | str): Temperature of the non-target term. Defaults to
            1.0 (the paper's ImageNet value). ``'norm'`` gives each sample
            NormKD's temperature ``t_norm * std(logits)`` (arXiv 2308.00520),
            separately for teacher and student; the term is then weighted
            by the teacher's ``T_i^2``. ``'zscore'`` standardises both
            models' logits per sample (logit standardisation, arXiv
            2403.01427; see :class:`KDLoss`) with the base temperature
            ``t_norm``, the term weighted by ``t_norm^2``. The target term
            is taken on the raw logits either way.
        gamma (float): Weight of the non-target term. Defaults to 1.5 (the
            paper's ImageNet value).
        non_target (str): The non-target term (Table 5):

            - 'normalized': NKD's term above.
            - 'kd': KD's unnormalised term ``-sum_{i != t} T_i log S_i``
              with full-softmax probabilities at temperature ``tau``. The
              paper does not say how it weights this term; it is given the
              same ``gamma * tau^2`` factor, so that the ablation changes
              only the normalisation.
            - 'none': the target term only.

            Defaults to 'normalized'.
        t_norm (float): NormKD's factor or the base temperature of
            ``tau='zscore'``; unused with a fixed ``tau``. Defaults to 2.0.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: Union[float, str] = 1.0,
                 gamma: float = 1.5,
                 non_target: str = 'normalized',
                 t_norm: float = 2.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_option(owner, 'non_target', non_target, _NON_TARGET_MODES)
        check_tau(owner, tau, t_norm)
        self.tau = tau if isinstance(tau, str) else float(tau)
        self.t_norm = float(t_norm)
        self.gamma = check_range(owner, 'gamma', gamma, 0)
        self.non_target = non_target
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                gt_labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C).
            preds_T (Tensor): Teacher logits, (N, C); detached here.
            gt_labels (Tensor): Class indices (N,), or scores (N, C) from
                Mixup/CutMix whose argmax is taken as the target class (as
                the official code does).

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_logits(owner, preds_S, preds_T, 'preds_T')
        if self.tau in PER_SAMPLE_TAUS:
            check_num_classes(owner, preds_S)
        check_labels(owner, gt_labels, preds_S)
        loss = nkd_loss(
            preds_S,
            preds_T,
            gt_labels,
            tau=self.tau,
            gamma=self.gamma,
            non_target=self.non_target,
            t_norm=self.t_norm)
        return loss.mean() * self.loss_weight
