"""Teacher-free KD with a manually designed teacher (Tf-KD_reg)."""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import (check_labels, check_logits, check_num_classes,
                     check_option, check_range)
from .ops import compute_dtype, kl_rows, target_index

_REDUCTIONS = ('batchmean', 'mean')


def tfkd_reg_loss(preds_S: Tensor,
                  gt_labels: Tensor,
                  *,
                  tau: float = 20.0,
                  correct_prob: float = 0.99,
                  student_temperature: bool = True) -> Tensor:
    """The KL term of Tf-KD_reg for each sample, from section 5 of
    "Revisiting Knowledge Distillation via Label Smoothing Regularization"
    (Yuan et al., CVPR 2020, arXiv 1909.11723): KD from a virtual teacher
    that puts ``a`` on the true class ``t`` and spreads the rest uniformly
    over the other ``K - 1`` classes::

        p_d(k) = a if k == t else (1 - a) / (K - 1)
        L_i    = KL(p_d^tau || p^tau)

    ``p_d^tau = softmax(p_d / tau)`` (the probabilities used as logits, as
    the official code softens them) and ``p^tau = softmax(z / tau)``, or
    ``softmax(z)`` with ``student_temperature=False`` (the official code).
    Half-precision inputs are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, K) with K >= 2.
        gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
            (N, K) whose argmax is the true class.
        tau (float): Temperature. Defaults to 20.0.
        correct_prob (float): ``a``, in (0, 1). Defaults to 0.99.
        student_temperature (bool): Soften the student with ``tau``.
            Defaults to True.

    Returns:
        Tensor: The KL divergence of each sample, (N,).
    """
    index = target_index(gt_labels)
    student = preds_S.to(compute_dtype(preds_S))
    rest = (1 - correct_prob) / (student.shape[1] - 1)
    virtual = student.new_full(student.shape,
                               rest).scatter_(1, index, correct_prob)
    log_teacher = F.log_softmax(virtual / tau, dim=1)
    if student_temperature:
        student = student / tau
    return kl_rows(F.log_softmax(student, dim=1), log_teacher)


@MODELS.register_module()
class TfKDRegLoss(nn.Module):
    """Tf-KD_reg of "Revisiting Knowledge Distillation via Label Smoothing
    Regularization" (Yuan et al., CVPR 2020, arXiv 1909.11723), section 5:
    ``alpha * KL(p_d^tau || p^tau)`` with the virtual teacher ``p_d`` of
    :func:`tfkd_reg_loss`, averaged over the batch, times ``loss_weight``
    (the paper's ``(1 - alpha) H(q, p) + alpha KL(p_d^tau, p^tau)`` without
    the cross-entropy, which belongs to the head: give the head's loss the
    weight ``1 - alpha``). The paper does not write out ``p_d^tau``; the
    official code (yuanli2333/Teacher-free-Knowledge-Distillation,
    ``loss_kd_regularization``) softens the virtual teacher as
    ``softmax(p_d / tau)`` (the probabilities used as logits), and so does
    this loss. ``p^tau = softmax(z / tau)`` is the student's output at the
    same temperature.

    The official code differs from the equation in two places, both
    available here: it applies no temperature to the student
    (``student_temperature=False``), and ``nn.KLDivLoss()`` averages over
    all N x K elements, i.e. divides the per-sample KL by K as well
    (``reduction='mean'``), which its undocumented ``multiplier`` then
    offsets in part. Its CIFAR-100 settings vary per model: ResNet-18 tau
    20, alpha 0.1, multiplier 100 (also what the Zipf's LS code uses, with
    tau 20 for ResNet-50 on ImageNet); GoogLeNet tau 40, alpha 0.1,
    multiplier 50; MobileNetV2 tau 40, alpha 0.95, multiplier 1.
    ``multiplier`` multiplies the KL in both modes. Neither the equation
    nor the code has KD's ``tau^2`` factor.

    Mixup/CutMix scores are reduced to their argmax as the true class.

    Args:
        tau (float): Temperature. Defaults to 20.0.
        correct_prob (float): ``a``, the virtual teacher's probability of
            the true class, in (0, 1). Defaults to 0.99.
        alpha (float): Weight of the KL term, in [0, 1]. Defaults to 0.1.
        multiplier (float): Extra factor of the official code. Defaults to
            1.0.
        student_temperature (bool): Soften the student with ``tau`` (the
            paper's equation) or not (the official code). Defaults to True.
        reduction (str): 'batchmean' (KL summed over the classes, averaged
            over the batch: the equation) or 'mean' (also divided by K: the
            official code). Defaults to 'batchmean'.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 20.0,
                 correct_prob: float = 0.99,
                 alpha: float = 0.1,
                 multiplier: float = 1.0,
                 student_temperature: bool = True,
                 reduction: str = 'batchmean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_option(owner, 'reduction', reduction, _REDUCTIONS)
        self.tau = check_range(owner, 'tau', tau, 0, low_open=True)
        self.correct_prob = check_range(owner,
                                        'correct_prob',
                                        correct_prob,
                                        0,
                                        1,
                                        low_open=True,
                                        high_open=True)
        # The paper's (1 - alpha) CE + alpha KL: the head's weight is
        # 1 - alpha.
        self.alpha = check_range(owner, 'alpha', alpha, 0, 1)
        self.multiplier = check_range(owner, 'multiplier', multiplier, 0)
        self.student_temperature = bool(student_temperature)
        self.reduction = reduction
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, gt_labels: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, K) with K >= 2.
            gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
                (N, K) whose argmax is taken as the true class.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_logits(owner, preds_S)
        check_num_classes(owner, preds_S)
        check_labels(owner, gt_labels, preds_S)
        kl = tfkd_reg_loss(
            preds_S,
            gt_labels,
            tau=self.tau,
            correct_prob=self.correct_prob,
            student_temperature=self.student_temperature).mean()
        if self.reduction == 'mean':
            kl = kl / preds_S.shape[1]
        return self.alpha * self.multiplier * kl * self.loss_weight
