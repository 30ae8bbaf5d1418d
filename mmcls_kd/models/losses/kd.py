"""Hinton's knowledge distillation (KD)."""
from typing import Union

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_num_classes, check_range, check_tau, check_teacher
from .ops import PER_SAMPLE_TAUS, compute_dtype, kl_rows, soften, square


def kd_loss(preds_S: Tensor,
            preds_T: Tensor,
            *,
            tau: Union[float, str] = 1.0,
            t_norm: float = 2.0) -> Tensor:
    """The KD loss of each sample, from "Distilling the Knowledge in a
    Neural Network" (Hinton et al., arXiv 1503.02531), with the ``tau^2``
    factor of its section 2::

        L_i = tau^2 * KL(softmax(z_t,i / tau) || softmax(z_s,i / tau))

    With ``tau='norm'`` it is NormKD's loss (arXiv 2308.00520): each sample
    and each model gets the temperature ``T = t_norm * std(z)`` and the KL
    is weighted by the teacher's ``T^2``. With ``tau='zscore'`` it is KD
    with logit standardisation (arXiv 2403.01427): each row is z-scored and
    divided by the base temperature ``t_norm``, and the KL weighted by
    ``t_norm^2`` (see :func:`~.ops.soften`). Teacher logits are detached;
    half-precision inputs are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        tau (float | str): Temperature, or ``'norm'`` or ``'zscore'``.
            Defaults to 1.0.
        t_norm (float): NormKD's ``T_norm`` or logit standardisation's base
            temperature; unused with a fixed ``tau``. Defaults to 2.0.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    dtype = compute_dtype(preds_S, preds_T)
    student, _ = soften(preds_S.to(dtype), tau, t_norm)
    teacher, temperature = soften(preds_T.detach().to(dtype), tau, t_norm)
    kl = kl_rows(F.log_softmax(student, dim=1), F.log_softmax(teacher, dim=1))
    return kl * square(temperature)


@MODELS.register_module()
class KDLoss(nn.Module):
    """The KD loss of "Distilling the Knowledge in a Neural Network" (Hinton
    et al., arXiv 1503.02531): :func:`kd_loss`,
    ``tau^2 * KL(softmax(z_t / tau) || softmax(z_s / tau))``, averaged over
    the batch, times ``loss_weight``. The head's cross-entropy is not part
    of it. Teacher logits are detached.

    With ``tau='norm'`` each sample gets NormKD's temperature (see
    :class:`NormKDLoss`): ``T = t_norm * std(z)``, computed separately for
    the teacher's and the student's logits, and the sample's KL is weighted
    by the teacher's ``T^2``. With ``tau='zscore'`` it is KD with logit
    standardisation ("Logit Standardization in Knowledge Distillation",
    Sun et al., CVPR 2024, arXiv 2403.01427, as its official code
    sunshangquan/logit-standardization-KD computes it): both models' logits
    are z-scored per sample, ``(z - mean(z)) / (std(z) + 1e-7)``, divided
    by the base temperature ``t_norm``, and the KL is weighted by
    ``t_norm^2``.

    Args:
        tau (float | str): Temperature, or ``'norm'`` or ``'zscore'``.
            Defaults to 1.0.
        t_norm (float): NormKD's ``T_norm`` (``tau='norm'``) or logit
            standardisation's base temperature (``tau='zscore'``); unused
            with a fixed ``tau``. Defaults to 2.0 (the official NormKD
            code's CIFAR-100 value, and the base temperature of the logit
            standardisation code).
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: Union[float, str] = 1.0,
                 t_norm: float = 2.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_tau(owner, tau, t_norm)
        self.tau = tau if isinstance(tau, str) else float(tau)
        self.t_norm = float(t_norm)
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
        if self.tau in PER_SAMPLE_TAUS:
            # A standard deviation needs two values.
            check_num_classes(type(self).__name__, preds_S)
        loss = kd_loss(preds_S, preds_T, tau=self.tau, t_norm=self.t_norm)
        return loss.mean() * self.loss_weight
