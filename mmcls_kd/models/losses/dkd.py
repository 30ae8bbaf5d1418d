"""Decoupled Knowledge Distillation (DKD)."""
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import (check_labels, check_num_classes, check_range, check_tau,
                     check_teacher)
from .ops import (compute_dtype, drop_classes, kl_rows, soften, square,
                  target_index)
from .warmup import WarmupMixin


def binary_log_probs(logits: Tensor, index: Tensor) -> Tensor:
    """``log [p_t, 1 - p_t]`` of each row, (N, 2), for the softmax of
    ``logits`` and the target ``index`` (N, 1).

    ``log(1 - p_t)`` is the log-sum-exp of the non-target logits minus that
    of all logits, finite also when ``p_t`` rounds to 1.
    """
    log_total = torch.logsumexp(logits, dim=1, keepdim=True)
    log_target = logits.gather(1, index) - log_total
    log_rest = torch.logsumexp(
        drop_classes(logits, index), dim=1, keepdim=True) - log_total
    return torch.cat([log_target, log_rest], dim=1)


def dkd_loss(preds_S: Tensor,
             preds_T: Tensor,
             gt_labels: Tensor,
             *,
             tau: Union[float, str] = 1.0,
             alpha: float = 1.0,
             beta: float = 8.0,
             t_norm: float = 2.0) -> Tensor:
    """The DKD loss of each sample, Eq. 7 of "Decoupled Knowledge
    Distillation" (Zhao et al., CVPR 2022, arXiv 2203.08679) with the
    ``tau^2`` factors of the official code. With ``t`` the target class and
    ``p`` the softmax at temperature ``tau``::

        TCKD = tau^2 * KL([p_t^T, 1 - p_t^T] || [p_t^S, 1 - p_t^S])
        NCKD = tau^2 * KL(p^T_{\\t} || p^S_{\\t})
        L_i  = alpha * TCKD + beta * NCKD

    where ``p_{\\t}`` is the softmax over the non-target logits only. With
    ``tau='norm'`` the temperatures are NormKD's per sample and model, and
    ``tau^2`` is the teacher's ``T^2``; with ``tau='zscore'`` the logits are
    standardised per sample (logit standardisation, arXiv 2403.01427) and
    divided by the base temperature ``t_norm``, and ``tau^2`` is
    ``t_norm^2``. Teacher logits are detached; half-precision inputs are
    computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C) with C >= 2.
        preds_T (Tensor): Teacher logits, (N, C).
        gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
            (N, C) whose argmax is the target class.
        tau (float | str): Temperature, or ``'norm'`` or ``'zscore'``.
            Defaults to 1.0.
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. Defaults to 8.0.
        t_norm (float): NormKD's ``T_norm`` or the base temperature of
            ``tau='zscore'``. Defaults to 2.0.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    index = target_index(gt_labels)
    dtype = compute_dtype(preds_S, preds_T)
    student, _ = soften(preds_S.to(dtype), tau, t_norm)
    teacher, temperature = soften(preds_T.detach().to(dtype), tau, t_norm)
    tckd = kl_rows(
        binary_log_probs(student, index), binary_log_probs(teacher, index))
    nckd = kl_rows(
        F.log_softmax(drop_classes(student, index), dim=1),
        F.log_softmax(drop_classes(teacher, index), dim=1))
    return (alpha * tckd + beta * nckd) * square(temperature)


@MODELS.register_module()
class DKDLoss(WarmupMixin, nn.Module):
    """DKD loss of "Decoupled Knowledge Distillation" (Zhao et al., CVPR
    2022, arXiv 2203.08679), Eq. 7, as the official code (megvii-research/
    mdistiller, ``dkd_loss``) computes it: :func:`dkd_loss`,
    ``alpha * TCKD + beta * NCKD``, averaged over the batch, times
    ``warmup_factor * loss_weight``. The head's cross-entropy is not part
    of it. Teacher logits are detached.

    MMRazor 1.0.0's ``DKDLoss`` computes the same terms, but:

    - it passes ``size_average=False`` to ``F.kl_div``, which overrides its
      ``reduction``: with the default ``'batchmean'`` it still returns the
      batch mean (``F.kl_div`` divides by N after the summing), but with
      ``'mean'`` or ``'none'`` it returns the batch *sum*, N times this
      loss at batch size N (a scalar also for ``'none'``);
    - it takes ``log`` of the binary probabilities, so TCKD is ``inf`` as
      soon as the student's target probability rounds to 1 while the
      teacher's does not (here the log-probabilities come from
      log-sum-exps and stay finite);
    - it rejects Mixup/CutMix scores, computes in the input precision and
      has no warm-up.

    The official code warms the loss up linearly, ``min(epoch / 20, 1)``
    with epochs counted from 1 (:class:`WarmupMixin`,
    ``warmup_first_epoch=1``).

    Values of the official code: CIFAR-100 tau 4, alpha 1, beta 8 (6 for
    the VGG13 and WRN-40-2 teachers), warm-up 20 epochs, CE weight 1;
    ImageNet tau 1, alpha 1, beta 0.5 (ResNet-34 -> ResNet-18) or 2
    (ResNet-50 -> MobileNet), warm-up 1 epoch. Mixup/CutMix scores are
    reduced to their argmax as the target class.

    With ``tau='norm'`` each sample gets NormKD's temperatures (teacher and
    student separately, see :class:`NormKDLoss`) and the ``tau^2`` factors
    become the teacher's per-sample ``T^2``: NormKD applied to DKD, the
    NormKD code's ``dkd_loss_norm``. With ``tau='zscore'`` the logits are
    z-scored per sample and divided by the base temperature ``t_norm``, and
    the factors are ``t_norm^2``: DKD with logit standardisation (arXiv
    2403.01427), as that paper's official code computes it (it
    standardises over all classes, then drops the target for NCKD, as
    here).

    Args:
        tau (float | str): Temperature, or ``'norm'`` or ``'zscore'``.
            Defaults to 1.0.
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. Defaults to 8.0 (CIFAR-100).
        warmup_epochs (int): Length of the linear warm-up in epochs; 0 for
            none. Defaults to 0.
        warmup_first_epoch (int): The first epoch's number in the warm-up
            formula (see :class:`WarmupMixin`). Defaults to 1 (DKD's code).
        t_norm (float): NormKD's ``T_norm`` (``tau='norm'``) or logit
            standardisation's base temperature (``tau='zscore'``). Defaults
            to 2.0.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: Union[float, str] = 1.0,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 warmup_epochs: int = 0,
                 warmup_first_epoch: int = 1,
                 t_norm: float = 2.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_tau(owner, tau, t_norm)
        self.tau = tau if isinstance(tau, str) else float(tau)
        self.alpha = check_range(owner, 'alpha', alpha, 0)
        self.beta = check_range(owner, 'beta', beta, 0)
        self.init_warmup(warmup_epochs, warmup_first_epoch)
        self.t_norm = float(t_norm)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                gt_labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C) with C >= 2.
            preds_T (Tensor): Teacher logits, (N, C); detached here.
            gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
                (N, C) whose argmax is taken as the target class.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_teacher(owner, preds_S, preds_T)
        check_num_classes(owner, preds_S)
        check_labels(owner, gt_labels, preds_S)
        loss = dkd_loss(
            preds_S,
            preds_T,
            gt_labels,
            tau=self.tau,
            alpha=self.alpha,
            beta=self.beta,
            t_norm=self.t_norm)
        return loss.mean() * (self.warmup_factor * self.loss_weight)
