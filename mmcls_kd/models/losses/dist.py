"""Distillation from a stronger teacher (DIST)."""
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_num_classes, check_range, check_teacher
from .ops import compute_dtype

# Added to the product of the two norms of a correlation, as in the official
# code: a constant row (a class no sample of the batch predicts) then
# correlates 0 with anything instead of giving 0 / 0.
_CORRELATION_EPS = 1e-8


class DISTTerms(NamedTuple):
    """DIST's two relations, each already multiplied by ``tau^2``.

    ``inter`` has one value per sample (N,): the distance between the
    student's and the teacher's class probabilities of that sample.
    ``intra`` has one value per class (C,): the distance between the
    probabilities that the batch's samples give that class, so it exists
    for the batch only, not per sample.
    """
    inter: Tensor
    intra: Tensor


def pearson_distance(student: Tensor, teacher: Tensor) -> Tensor:
    """``1 - rho(u, v)`` for each pair of rows of two (M, K) tensors, (M,),
    with Pearson's correlation ``rho`` as the official code computes it:
    the cosine of the centred rows, ``1e-8`` added to the product of their
    norms."""
    student = student - student.mean(dim=1, keepdim=True)
    teacher = teacher - teacher.mean(dim=1, keepdim=True)
    norms = torch.linalg.vector_norm(student, dim=1) \
        * torch.linalg.vector_norm(teacher, dim=1)
    return 1 - (student * teacher).sum(1) / (norms + _CORRELATION_EPS)


def dist_loss(preds_S: Tensor,
              preds_T: Tensor,
              *,
              tau: float = 1.0) -> DISTTerms:
    """DIST's relations, from "Knowledge Distillation from A Stronger
    Teacher" (Huang et al., NeurIPS 2022, arXiv 2205.10536), as the official
    code (hunto/image_classification_sota, ``lib/models/losses/
    dist_kd.py``) computes them. With ``Y = softmax(z / tau)`` over the
    classes, for the student and the teacher, and ``d(u, v) = 1 -
    rho(u, v)`` (:func:`pearson_distance`)::

        inter_i = tau^2 * d(Y_S[i, :], Y_T[i, :])     one per sample
        intra_j = tau^2 * d(Y_S[:, j], Y_T[:, j])     one per class

    Teacher logits are detached; half-precision inputs are computed in
    float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        tau (float): Temperature. Defaults to 1.0.

    Returns:
        DISTTerms: ``inter`` (N,) and ``intra`` (C,).
    """
    dtype = compute_dtype(preds_S, preds_T)
    student = F.softmax(preds_S.to(dtype) / tau, dim=1)
    teacher = F.softmax(preds_T.detach().to(dtype) / tau, dim=1)
    return DISTTerms(tau**2 * pearson_distance(student, teacher),
                     tau**2 * pearson_distance(student.t(), teacher.t()))


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST loss of "Knowledge Distillation from A Stronger Teacher" (Huang
    et al., NeurIPS 2022, arXiv 2205.10536), as its official code computes
    it: with the relations of :func:`dist_loss`,

        L = beta * mean_i inter_i + gamma * mean_j intra_j

    (the paper's ``beta * tau^2 * L_inter + gamma * tau^2 * L_intra``, the
    inter-class relation averaged over the batch's samples, the intra-class
    one over the classes), times ``loss_weight``. The head's cross-entropy
    is not part of it. Teacher logits are detached.

    The official code's values: ``beta = gamma = 1``, with the loss weighted
    2 against a cross-entropy weighted 1; ``tau`` 1 on ImageNet, 4 on
    CIFAR-100 (its ``dist_cifar.yaml``).

    The intra-class relation compares the batch's samples, so the loss of a
    batch is no mean of per-sample losses, and a batch of one sample has no
    intra-class relation: its columns are constant, correlate 0 and give
    ``gamma * tau^2`` whatever the student predicts (as in the official
    code).

    MMRazor 1.0.0 registers a ``DISTLoss`` with the same equations (its
    ``inter_loss_weight`` and ``intra_loss_weight`` are ``beta`` and
    ``gamma``); in float32 and float64 it gives these values (the tests
    compare both with an independent float64 implementation), but:

    - it computes in the precision of its inputs: with float16 logits the
      ``1e-8`` added to the norms rounds to 0, so a class whose
      probabilities round to 0 for every sample of the batch (every class
      no sample predicts, with confident logits) gives 0 / 0, a NaN loss
      and NaN gradients; its result is float16 or bfloat16;
    - it checks no shapes: a student batch of one row is broadcast against
      the teacher's rows without an error;
    - it takes any hyper-parameter (``tau=0`` gives NaN);
    - its inputs are named ``logits_S`` and ``logits_T``, not the
      ``preds_S`` and ``preds_T`` that the distiller feeds by default.

    Args:
        tau (float): Temperature of both softmaxes. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.tau = check_range(owner, 'tau', tau, 0, low_open=True)
        self.beta = check_range(owner, 'beta', beta, 0)
        self.gamma = check_range(owner, 'gamma', gamma, 0)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C) with C >= 2.
            preds_T (Tensor): Teacher logits, (N, C); detached here.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_teacher(owner, preds_S, preds_T)
        # A correlation over one class is 0 / 0.
        check_num_classes(owner, preds_S)
        terms = dist_loss(preds_S, preds_T, tau=self.tau)
        loss = self.beta * terms.inter.mean() + self.gamma * terms.intra.mean()
        return loss * self.loss_weight
