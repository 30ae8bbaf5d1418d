"""Universal Self-Knowledge Distillation (USKD)."""
from typing import Dict, NamedTuple, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from ._utils import (TargetSlots, check_labels, check_logits, check_option,
                     compute_dtype, drop_classes, reduce_over_ranks,
                     sortable_keys, target_slots)

_TARGET_MODES = ('square', 'linear', 'softmax', 'sqrt', 'max', 'mean', 'none')
_NON_TARGET_MODES = ('zipf', 'none')
_RANK_MODES = ('normalized', 'sum', 'weak', 'final')
_RANK_SPACES = ('prob', 'log_prob')
# The name this option had before it said what it is.
_RANK_SPACE_ALIASES = {'official': 'log_prob'}
_BATCH_STATS = ('local', 'global')


class _Terms(NamedTuple):
    """What the loss and its soft labels are made of (see ``_terms``)."""
    soft: bool  # Mixup/CutMix scores rather than class indices
    slots: TargetSlots
    log_prob_t: Tensor  # (N, 2) log S_t of each target slot
    soft_target: Optional[Tensor]  # (N, 2) detached P_t; None: no target
    log_weak: Optional[Tensor]  # (N, C) log W
    log_non_target: Optional[Tensor]  # (N, C - k) log N(S)
    zipf: Optional[Tensor]  # (N, C) Z, 0 at the targets, not normalised


@MODELS.register_module()
class USKDLoss(nn.Module):
    """Self-KD loss with customized soft labels (USKD), Eqs. 6, 7 and 9-12
    of "From Knowledge Distillation to Self-Knowledge Distillation: A
    Unified Approach with Normalized Loss and Customized Soft Labels" (Yang
    et al., ICCV 2023, arXiv 2303.13005).

    Returns ``alpha * L_target + beta * L_non + L_weak`` (each a batch
    mean) times ``loss_weight``; the head's cross-entropy ``L_ori`` of
    Eq. 13 is not part of it. With ``S`` the student's probabilities, ``W``
    the weak classifier's (Eq. 8) and ``V`` the label:

    - ``L_target = -P_t log S_t`` (Eq. 7) with the detached soft target
      ``P_t`` (Eq. 6 by default). With Mixup/CutMix scores the two largest
      label values are two targets ("slots", e.g. 0.8 and 0.2), each with
      its own ``P_t`` and its own batch statistics. A row with a single
      non-zero score has one target only: its empty second slot is no
      target and takes no part in the statistics.
    - ``L_weak = -mu * sum_i V_i log W_i`` (Eq. 9) with ``V`` smoothed:
      ``(1 - ls) * y + ls / C`` for one-hot or soft ``y``.
    - ``L_non = -sum_{i != t} N(Z_i) log N(S_i)`` (Eq. 12): all C classes,
      the targets included, are ordered by the rank ``R`` (Eq. 10), the
      class at 1-based position k gets ``k^-zipf_exponent`` (Eq. 11); the
      targets are removed and ``N(.)`` renormalises over the rest (a
      softmax over the non-target logits for ``S``). ``Z`` is detached.

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
        rank_space = _RANK_SPACE_ALIASES.get(rank_space, rank_space)
        for name, value, allowed in (
            ('target', target, _TARGET_MODES),
            ('non_target', non_target, _NON_TARGET_MODES),
            ('rank', rank, _RANK_MODES),
            ('rank_space', rank_space, _RANK_SPACES),
            ('batch_stats', batch_stats, _BATCH_STATS),
        ):
            check_option('USKDLoss', name, value, allowed)
        if not 0 <= label_smoothing <= 1:
            raise ValueError('USKDLoss: label_smoothing must be in [0, 1], '
                             f'got {label_smoothing}')
        if not zipf_exponent >= 0:
            raise ValueError('USKDLoss: zipf_exponent must be >= 0, got '
                             f'{zipf_exponent}')
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.mu = float(mu)
        self.target = target
        self.non_target = non_target
        self.rank = rank
        self.rank_space = rank_space
        self.zipf_exponent = float(zipf_exponent)
        self.label_smoothing = float(label_smoothing)
        self.batch_stats = batch_stats
        self.loss_weight = float(loss_weight)

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
        terms = self._terms(preds_S, gt_labels, preds_W,
                            with_zipf=self.non_target == 'zipf')
        loss = terms.log_prob_t.new_zeros(())
        if self.target != 'none':
            loss = loss - self.alpha * (terms.soft_target *
                                        terms.log_prob_t).sum(1).mean()
        if self.non_target == 'zipf':
            loss = loss + self.mu * self._weak_loss(terms.log_weak,
                                                    gt_labels, terms.soft)
            # zipf is 0 at the targets, whose log-probability is only a
            # large negative; dividing the row sums by its total is N(Z).
            zipf_total = terms.zipf.sum(1).clamp_min(
                torch.finfo(terms.zipf.dtype).tiny)
            l_non = -((terms.zipf * terms.log_non_target).sum(1) /
                      zipf_total).mean()
            loss = loss + self.beta * l_non
        return loss * self.loss_weight

    @torch.no_grad()
    def soft_labels(self, preds_S: Tensor, gt_labels: Tensor,
                    preds_W: Tensor) -> Dict[str, Tensor]:
        """The customised soft labels this loss trains towards (Fig. 3),
        from the path :meth:`forward` takes, batch statistics included.

        Returns:
            dict: ``target_index`` (N, 2) class of each target slot,
            ``target_valid`` (N, 2) whether the slot is a target,
            ``target_value`` (N, 2) the soft target ``P_t`` of Eq. 6 (or
            of the chosen smoothing; the label value with
            ``target='none'``; 0 where not a target), and ``non_target``
            (N, C) the normalised Zipf labels ``N(Z)`` of Eq. 12 (0 at the
            targets).
        """
        if preds_W is None:
            raise ValueError('USKDLoss.soft_labels: preds_W is required')
        terms = self._terms(preds_S, gt_labels, preds_W, with_zipf=True)
        slots = terms.slots
        target_value = (slots.value * slots.valid if self.target == 'none'
                        else terms.soft_target)
        return dict(
            target_index=slots.index,
            target_valid=slots.valid,
            target_value=target_value,
            non_target=terms.zipf / terms.zipf.sum(1, keepdim=True))

    def _terms(self, preds_S: Tensor, gt_labels: Tensor,
               preds_W: Optional[Tensor], with_zipf: bool) -> _Terms:
        """Validate the inputs and compute what the loss and the soft labels
        are made of."""
        if gt_labels is None:
            raise ValueError('USKDLoss: gt_labels, class indices (N,) or '
                             'scores (N, C), is required, got None')
        if preds_W is None:
            check_logits('USKDLoss', preds_S)
            if with_zipf:
                raise ValueError("USKDLoss: preds_W of the shape of preds_S "
                                 f"{tuple(preds_S.shape)} is needed unless "
                                 "non_target='none', got None")
        else:
            check_logits('USKDLoss', preds_S, preds_W, 'preds_W')
        soft = check_labels('USKDLoss', gt_labels, preds_S)
        tensors = (preds_S, ) if preds_W is None else (preds_S, preds_W)
        dtype = compute_dtype(*tensors)
        slots = target_slots(gt_labels, soft, dtype)
        logits = preds_S.to(dtype)
        log_prob = F.log_softmax(logits, dim=1)
        log_prob_t = log_prob.gather(1, slots.index)
        soft_target = None
        if self.target != 'none':
            soft_target = self._soft_target(log_prob_t.detach().exp(), slots)
        log_weak = log_non_target = zipf = None
        if with_zipf:
            log_weak = F.log_softmax(preds_W.to(dtype), dim=1)
            log_non_target = F.log_softmax(
                drop_classes(logits, slots.index), dim=1)
            zipf = self._zipf_labels(log_prob.detach(), log_weak.detach(),
                                     log_non_target.detach(), slots)
        return _Terms(soft, slots, log_prob_t, soft_target, log_weak,
                      log_non_target, zipf)

    def _batch_mean(self, values: Tensor, valid: Tensor) -> Tensor:
        """Per-slot mean over the valid samples, (N, 2) -> (1, 2)."""
        stats = torch.stack(
            [(values * valid).sum(0), valid.sum(0).to(values.dtype)])
        stats = reduce_over_ranks(stats, 'sum',
                                  self.batch_stats == 'global')
        return (stats[0] / stats[1].clamp_min(1)).unsqueeze(0)

    def _soft_target(self, prob_t: Tensor, slots: TargetSlots) -> Tensor:
        """The detached soft target ``P_t`` of each slot, (N, 2)."""
        valid, value = slots.valid, slots.value
        tiny = torch.finfo(prob_t.dtype).tiny
        across_ranks = self.batch_stats == 'global'
        if self.target == 'square':
            squared = prob_t.square()
            soft_target = squared + value - self._batch_mean(squared, valid)
        elif self.target == 'linear':
            soft_target = prob_t + value - self._batch_mean(prob_t, valid)
        elif self.target == 'softmax':
            # prob_t is in [0, 1], so exp cannot overflow.
            weights = prob_t.exp() * valid
            sums = reduce_over_ranks(
                torch.stack([weights.sum(0), value.sum(0)]), 'sum',
                across_ranks)
            soft_target = weights / sums[0].clamp_min(tiny) * sums[1]
        elif self.target == 'sqrt':
            lowest = reduce_over_ranks(
                prob_t.masked_fill(~valid, float('inf')).amin(0), 'min',
                across_ranks)
            soft_target = (prob_t - lowest).clamp_min(0).sqrt()
        elif self.target == 'max':
            highest = reduce_over_ranks(
                prob_t.masked_fill(~valid, 0).amax(0), 'max', across_ranks)
            # A batch whose target probabilities all underflow gets 0, not
            # 0 / 0.
            soft_target = prob_t / highest.clamp_min(tiny)
        else:
            soft_target = prob_t / self._batch_mean(prob_t,
                                                    valid).clamp_min(tiny)
        return torch.where(valid, soft_target, 0.0)

    @staticmethod
    def _target_sum(values: Tensor, slots: TargetSlots) -> Tensor:
        """Sum of ``values`` over the targets of each sample, (N, 1)."""
        return (values.gather(1, slots.index) * slots.valid).sum(
            1, keepdim=True)

    def _weak_loss(self, log_weak: Tensor, gt_labels: Tensor,
                   soft: bool) -> Tensor:
        """Eq. 9 without ``mu``: cross-entropy of the weak classifier with
        label-smoothed targets, batch mean."""
        smoothing = self.label_smoothing
        if soft:
            labelled = (gt_labels.to(log_weak.dtype) * log_weak).sum(1)
        else:
            labelled = log_weak.gather(1, gt_labels.long().unsqueeze(1))
            labelled = labelled.squeeze(1)
        uniform = log_weak.mean(1)
        return -((1 - smoothing) * labelled + smoothing * uniform).mean()

    def _zipf_labels(self, log_prob: Tensor, log_weak: Tensor,
                     log_non_target: Tensor, slots: TargetSlots) -> Tensor:
        """``Z``: Zipf's law over the rank of Eq. 10 with the targets set to
        0, not normalised, (N, C)."""
        index = slots.index
        if self.rank == 'weak':
            rank = log_weak.exp()
        else:
            final = log_prob.exp() if self.rank_space == 'prob' else log_prob
            if self.rank == 'final':
                rank = final
            elif self.rank == 'sum':
                rank = log_weak.exp() + final
            else:
                weak = log_weak.exp()
                rest_weak = 1 - self._target_sum(weak, slots)
                if self.rank_space == 'prob':
                    # log S_j - log N(S)_j = log(1 - S_t) at any non-target
                    # j, exact also where 1 - S_t would cancel to 0; the
                    # most likely j loses the least.
                    top = log_non_target.argmax(1, keepdim=True)
                    rest_final = (log_prob.gather(1, top) -
                                  log_non_target.gather(1, top)).exp()
                else:
                    rest_final = 1 - self._target_sum(log_prob, slots)
                rank = weak.mul_(rest_final).addcmul_(final, rest_weak)
        order = torch.argsort(
            sortable_keys(rank, non_negative=self.rank_space == 'prob'),
            dim=1,
            descending=True,
            stable=True)
        num_classes = rank.shape[1]
        zipf_law = torch.arange(
            1, num_classes + 1, dtype=rank.dtype,
            device=rank.device).pow_(-self.zipf_exponent)
        zipf = torch.empty_like(rank).scatter_(1, order,
                                               zipf_law.expand_as(rank))
        return zipf.scatter_(1, index, 0.0)
