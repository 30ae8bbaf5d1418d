"""Universal Self-Knowledge Distillation (USKD)."""
from typing import Dict, Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_labels, check_logits, check_option, check_range
from .ops import compute_dtype, drop_classes
from .uskd_labels import (BATCH_STATS, RANK_MODES, RANK_SPACES, TARGET_MODES,
                          uskd_soft_labels)

_NON_TARGET_MODES = ('zipf', 'none')
# The name this option had before it said what it is.
_RANK_SPACE_ALIASES = {'official': 'log_prob'}


def _weak_cross_entropy(log_weak: Tensor, gt_labels: Tensor,
                        label_smoothing: float) -> Tensor:
    """Eq. 9 without ``mu``: the weak classifier's cross-entropy with
    label-smoothed targets, (N,)."""
    if gt_labels.dim() == 2:
        labelled = (gt_labels.to(log_weak.dtype) * log_weak).sum(1)
    else:
        labelled = log_weak.gather(1, gt_labels.long().unsqueeze(1))
        labelled = labelled.squeeze(1)
    uniform = log_weak.mean(1)
    return -((1 - label_smoothing) * labelled + label_smoothing * uniform)


def uskd_loss(preds_S: Tensor,
              gt_labels: Tensor,
              preds_W: Optional[Tensor] = None,
              *,
              alpha: float = 1.0,
              beta: float = 0.1,
              mu: float = 0.005,
              target: str = 'square',
              non_target: str = 'zipf',
              rank: str = 'normalized',
              rank_space: str = 'prob',
              zipf_exponent: float = 1.0,
              label_smoothing: float = 0.1,
              batch_stats: str = 'local') -> Tensor:
    """The USKD loss of each sample, Eqs. 7, 9 and 12 weighted as in Eq. 13
    of "From Knowledge Distillation to Self-Knowledge Distillation: A
    Unified Approach with Normalized Loss and Customized Soft Labels" (Yang
    et al., ICCV 2023, arXiv 2303.13005), without the head's ``L_ori``::

        L_i = -alpha * sum_t P_t log S_t
              - mu * sum_k V_k log W_k
              - beta * sum_{k != t} N(Z_k) log N(S_k)

    with the soft labels ``P_t`` and ``N(Z)`` of :func:`uskd_soft_labels`
    (detached), ``V`` the label smoothed with ``label_smoothing`` and
    ``N(S)`` the softmax over the non-target logits. Half-precision inputs
    are computed in float32. :class:`USKDLoss` documents the options.

    Args:
        preds_S (Tensor): Student (final classifier) logits, (N, C).
        gt_labels (Tensor): Class indices (N,) or Mixup/CutMix scores
            (N, C).
        preds_W (Tensor, optional): Weak classifier logits, (N, C); needed
            unless ``non_target='none'``.
        alpha (float): Weight of the target term. Defaults to 1.0.
        beta (float): Weight of the non-target term. Defaults to 0.1.
        mu (float): Weight of the weak classifier's term. Defaults to
            0.005.
        target (str): The soft target, see :func:`uskd_soft_labels`;
            'none' drops the target term. Defaults to 'square'.
        non_target (str): 'zipf' or 'none' (no non-target and no weak
            term). Defaults to 'zipf'.
        rank (str): Defaults to 'normalized'.
        rank_space (str): Defaults to 'prob'.
        zipf_exponent (float): Defaults to 1.0.
        label_smoothing (float): Smoothing of ``V``. Defaults to 0.1.
        batch_stats (str): Defaults to 'local'. ``rank``, ``rank_space``,
            ``zipf_exponent`` and ``batch_stats`` go to
            :func:`uskd_soft_labels`.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    check_option('uskd_loss', 'non_target', non_target, _NON_TARGET_MODES)
    with_zipf = non_target == 'zipf'
    if with_zipf and preds_W is None:
        raise ValueError("uskd_loss: non_target='zipf' needs preds_W")
    tensors = (preds_S, ) if preds_W is None else (preds_S, preds_W)
    logits = preds_S.to(compute_dtype(*tensors))
    labels = uskd_soft_labels(
        logits,
        gt_labels,
        preds_W if with_zipf else None,
        target=target,
        rank=rank,
        rank_space=rank_space,
        zipf_exponent=zipf_exponent,
        batch_stats=batch_stats)
    loss = logits.new_zeros(logits.shape[0])
    if target != 'none':
        log_prob = F.log_softmax(logits, dim=1)
        log_prob_t = log_prob.gather(1, labels.target_index)
        loss = loss - alpha * (labels.target_value * log_prob_t).sum(1)
    if with_zipf:
        log_weak = F.log_softmax(preds_W.to(logits.dtype), dim=1)
        loss = loss + mu * _weak_cross_entropy(log_weak, gt_labels,
                                               label_smoothing)
        log_non_target = F.log_softmax(
            drop_classes(logits, labels.target_index), dim=1)
        loss = loss - beta * (labels.non_target * log_non_target).sum(1)
    return loss


@MODELS.register_module()
class USKDLoss(nn.Module):
    """Self-KD loss with customized soft labels (USKD), Eqs. 6, 7 and 9-12
    of "From Knowledge Distillation to Self-Knowledge Distillation: A
    Unified Approach with Normalized Loss and Customized Soft Labels" (Yang
    et al., ICCV 2023, arXiv 2303.13005).

    Returns the batch mean of :func:`uskd_loss` times ``loss_weight``: per
    sample ``alpha * L_target + beta * L_non + L_weak`` (Eqs. 7, 12 and 9)
    with the detached soft labels ``P_t`` and ``N(Z)`` of
    :func:`uskd_soft_labels`; the head's cross-entropy ``L_ori`` of Eq. 13
    is not part of it. With Mixup/CutMix scores the two largest label
    values are two targets ("slots", e.g. 0.8 and 0.2), each with its own
    ``P_t`` and its own batch statistics. A row with a single non-zero
    score has one target only: its empty second slot is no target and
    takes no part in the statistics. ``L_weak`` smooths the label ``y``
    (one-hot or soft) to ``(1 - ls) * y + ls / C``; the rank behind ``Z``
    orders all C classes, the targets included, before they are removed.

    Args:
        alpha (float): Weight of ``L_target``. Defaults to 1.0 (ImageNet).
        beta (float): Weight of ``L_non``. Defaults to 0.1.
        mu (float): Weight of ``L_weak``. Defaults to 0.005 (ImageNet).
        target (str): The soft target ``P_t``; statistics over the samples
            of the batch, per slot, with ``S_t`` detached:

            - 'square': ``S_t^2 + V_t - mean(S_t^2)`` (Eq. 6).
            - 'linear': ``S_t + V_t - mean(S_t)``: tf-NKD, Table 8 row 1.
            - 'softmax': ``softmax(S_t) * sum(V_t)``, where the softmax runs
              over the batch, ``exp(S_t[n]) / sum_m exp(S_t[m])``, and
              ``sum(V_t)`` is the slot's label mass over the batch, so the
              targets of a slot still add up to its label mass (N for hard
              labels).
            - 'sqrt': ``sqrt(S_t - min(S_t))``; 'max': ``S_t / max(S_t)``;
              'mean': ``S_t / mean(S_t)`` (Table 8). As written in the
              paper these ignore ``V_t``, which only says which slots are
              targets.
            - 'none': no target term.

            Defaults to 'square'.
        non_target (str): 'zipf' (``L_non`` and ``L_weak``) or 'none'
            (Table 6 "target only": neither, ``preds_W`` may be None).
            Defaults to 'zipf'.
        rank (str): The rank ``R`` (Table 9): 'normalized' (Eq. 10,
            ``W_i / (1 - W_t) + S_i / (1 - S_t)``), 'sum' (``W_i + S_i``),
            'weak' (``W_i``) or 'final' (``S_i``). With two targets ``W_t``
            and ``S_t`` are the sums over both. Eq. 10 is evaluated as
            ``W_i (1 - S_t) + S_i (1 - W_t)``, the same order without the
            division by zero of a fully confident prediction; ``1 - S_t``
            comes from the log-probabilities, exact also for a nearly
            certain student, ``1 - W_t`` is plain (the weak classifier,
            trained on smoothed labels, stays far from certain). Ties keep
            the class order (stable sort). Defaults to 'normalized'.
        rank_space (str): What stands for ``S`` in the rank: 'prob' (Eq.
            10's probabilities) or 'log_prob' (log-softmax values, ``S_t``
            then being the sum of the targets' log-probabilities; Eq. 10
            becomes ``W_i (1 - log S_t) + log S_i (1 - W_t)``). The code of
            the paper's submission (yzd-v/cls_KD ``master`` at 87a7197,
            2023-03-24) ranks with probabilities; commit 1c2c0ff ("update
            for iccv", 2023-07-17) switched to log-probabilities, and both
            branch heads rank so today. Which of the two produced the
            paper's USKD numbers no source settles. 'official' is accepted
            as an old alias of 'log_prob'. Defaults to 'prob'.
        zipf_exponent (float): Exponent of Zipf's law. Defaults to 1.0.
        label_smoothing (float): ``ls`` of ``L_weak``. Defaults to 0.1.
        batch_stats (str): 'local' takes the batch statistics of ``P_t``
            over this process's batch, 'global' over the batches of all
            ranks (``all_reduce``; the same as 'local' without a process
            group of several ranks). 'global' is a collective: every rank
            must call the loss at every step. Defaults to 'local'.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 0.1,
                 mu: float = 0.005,
                 target: str = 'square',
                 non_target: str = 'zipf',
                 rank: str = 'normalized',
                 rank_space: str = 'prob',
                 zipf_exponent: float = 1.0,
                 label_smoothing: float = 0.1,
                 batch_stats: str = 'local',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        rank_space = _RANK_SPACE_ALIASES.get(rank_space, rank_space)
        for name, value, allowed in (
            ('target', target, TARGET_MODES),
            ('non_target', non_target, _NON_TARGET_MODES),
            ('rank', rank, RANK_MODES),
            ('rank_space', rank_space, RANK_SPACES),
            ('batch_stats', batch_stats, BATCH_STATS),
        ):
            check_option(owner, name, value, allowed)
        self.alpha = check_range(owner, 'alpha', alpha, 0)
        self.beta = check_range(owner, 'beta', beta, 0)
        self.mu = check_range(owner, 'mu', mu, 0)
        self.target = target
        self.non_target = non_target
        self.rank = rank
        self.rank_space = rank_space
        self.zipf_exponent = check_range(owner, 'zipf_exponent', zipf_exponent,
                                         0)
        self.label_smoothing = check_range(owner, 'label_smoothing',
                                           label_smoothing, 0, 1)
        self.batch_stats = batch_stats
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    @property
    def required_inputs(self) -> tuple:
        """The inputs this configuration needs (the distiller checks them
        when it is built): the weak logits unless ``non_target='none'``."""
        return ('preds_S', 'gt_labels') + (
            () if self.non_target == 'none' else ('preds_W', ))

    def forward(self,
                preds_S: Tensor,
                gt_labels: Tensor,
                preds_W: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student (final classifier) logits, (N, C).
            gt_labels (Tensor): Class indices (N,) or Mixup/CutMix scores
                (N, C).
            preds_W (Tensor, optional): Weak classifier logits, (N, C);
                None only with ``non_target='none'`` (a config without a
                weak classifier leaves it out of the loss-forward mapping).

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        self._check_inputs(preds_S, gt_labels, preds_W,
                           self.non_target == 'zipf')
        loss = uskd_loss(
            preds_S,
            gt_labels,
            preds_W,
            alpha=self.alpha,
            beta=self.beta,
            mu=self.mu,
            non_target=self.non_target,
            label_smoothing=self.label_smoothing,
            **self._label_options())
        return loss.mean() * self.loss_weight

    def soft_labels(self, preds_S: Tensor, gt_labels: Tensor,
                    preds_W: Tensor) -> Dict[str, Tensor]:
        """The customised soft labels this loss trains towards (Fig. 3):
        :func:`uskd_soft_labels` with this loss's options, batch statistics
        included, on validated inputs.

        Args:
            preds_S (Tensor): Student logits, (N, C).
            gt_labels (Tensor): Class indices (N,) or scores (N, C).
            preds_W (Tensor): Weak classifier logits, (N, C).

        Returns:
            dict: The fields of :class:`USKDSoftLabels` by name, detached.
        """
        if preds_W is None:
            raise ValueError(
                f'{type(self).__name__}.soft_labels: preds_W is required')
        self._check_inputs(preds_S, gt_labels, preds_W, True)
        return uskd_soft_labels(preds_S, gt_labels, preds_W,
                                **self._label_options())._asdict()

    def _label_options(self) -> dict:
        return dict(
            target=self.target,
            rank=self.rank,
            rank_space=self.rank_space,
            zipf_exponent=self.zipf_exponent,
            batch_stats=self.batch_stats)

    def _check_inputs(self, preds_S: Tensor, gt_labels: Tensor,
                      preds_W: Optional[Tensor], needs_weak: bool) -> None:
        owner = type(self).__name__
        if gt_labels is None:
            raise ValueError(f'{owner}: gt_labels, class indices (N,) or '
                             'scores (N, C), is required, got None')
        if preds_W is None:
            check_logits(owner, preds_S)
            if needs_weak:
                raise ValueError(f'{owner}: preds_W of the shape of preds_S '
                                 f"{tuple(preds_S.shape)} is needed unless "
                                 "non_target='none', got None")
        else:
            check_logits(owner, preds_S, preds_W, 'preds_W')
        check_labels(owner, gt_labels, preds_S)
