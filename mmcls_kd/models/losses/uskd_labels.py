"""The customised soft labels of USKD (Eqs. 6, 10 and 11)."""
from typing import NamedTuple, Optional

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

from .checks import check_option
from .ops import TargetSlots, compute_dtype, drop_classes, target_slots

TARGET_MODES = ('square', 'linear', 'softmax', 'sqrt', 'max', 'mean', 'none')
RANK_MODES = ('normalized', 'sum', 'weak', 'final')
RANK_SPACES = ('prob', 'log_prob')
BATCH_STATS = ('local', 'global')


class USKDSoftLabels(NamedTuple):
    """USKD's soft labels of a batch, detached.

    Attributes:
        target_index (Tensor): (N, 2) class of each target slot.
        target_valid (Tensor): (N, 2) bool, whether the slot is a target.
        target_value (Tensor): (N, 2) the soft target ``P_t`` (Eq. 6 or the
            chosen variant; the label value with ``target='none'``), 0
            where the slot is no target.
        non_target (Tensor, optional): (N, C) the normalised Zipf labels
            ``N(Z)`` (Eq. 12), 0 at the targets; None without weak logits.
    """
    target_index: Tensor
    target_valid: Tensor
    target_value: Tensor
    non_target: Optional[Tensor]


def _reduce_over_ranks(tensor: Tensor, op: str, across_ranks: bool) -> Tensor:
    """Reduce a statistic (``'sum'``, ``'min'`` or ``'max'``) over all
    ranks when asked to and a process group of several ranks runs; every
    rank must then call it in the same order (it is a collective)."""
    if not (across_ranks and dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1):
        return tensor
    reduced = tensor.clone()
    dist.all_reduce(reduced, op=getattr(dist.ReduceOp, op.upper()))
    return reduced


def _batch_mean(values: Tensor, valid: Tensor, across_ranks: bool) -> Tensor:
    """Per-slot mean over the valid samples, (N, 2) -> (1, 2)."""
    stats = torch.stack([(values * valid).sum(0),
                         valid.sum(0).to(values.dtype)])
    stats = _reduce_over_ranks(stats, 'sum', across_ranks)
    return (stats[0] / stats[1].clamp_min(1)).unsqueeze(0)


def _soft_target(prob_t: Tensor, slots: TargetSlots, target: str,
                 across_ranks: bool) -> Tensor:
    """The soft target ``P_t`` of each slot, (N, 2), from the batch
    statistics of ``S_t`` per slot."""
    valid, value = slots.valid, slots.value
    tiny = torch.finfo(prob_t.dtype).tiny
    if target == 'square':
        squared = prob_t.square()
        soft_target = squared + value - _batch_mean(squared, valid,
                                                    across_ranks)
    elif target == 'linear':
        soft_target = prob_t + value - _batch_mean(prob_t, valid, across_ranks)
    elif target == 'softmax':
        # prob_t is in [0, 1], so exp cannot overflow.
        weights = prob_t.exp() * valid
        sums = _reduce_over_ranks(
            torch.stack([weights.sum(0), value.sum(0)]), 'sum', across_ranks)
        soft_target = weights / sums[0].clamp_min(tiny) * sums[1]
    elif target == 'sqrt':
        lowest = _reduce_over_ranks(
            prob_t.masked_fill(~valid, float('inf')).amin(0), 'min',
            across_ranks)
        soft_target = (prob_t - lowest).clamp_min(0).sqrt()
    elif target == 'max':
        highest = _reduce_over_ranks(
            prob_t.masked_fill(~valid, 0).amax(0), 'max', across_ranks)
        # A batch whose target probabilities all underflow gets 0, not
        # 0 / 0.
        soft_target = prob_t / highest.clamp_min(tiny)
    else:
        soft_target = prob_t / _batch_mean(prob_t, valid,
                                           across_ranks).clamp_min(tiny)
    return torch.where(valid, soft_target, 0.0)


def _target_sum(values: Tensor, slots: TargetSlots) -> Tensor:
    """Sum of ``values`` over the targets of each sample, (N, 1)."""
    return (values.gather(1, slots.index) * slots.valid).sum(1, keepdim=True)


def _sortable_keys(values: Tensor, non_negative: bool) -> Tensor:
    """Integers that order as the float ``values`` do.

    Integer keys sort markedly faster than floats on CPU, where the float
    comparison has to place NaN. The bit pattern of a non-negative float
    already orders as a signed integer; flipping all bits but the sign of a
    negative one reverses its order into place.
    """
    bits = values.view(torch.int64 if values.dtype ==
                       torch.float64 else torch.int32)
    if non_negative:
        return bits
    magnitude = torch.iinfo(bits.dtype).max
    return bits ^ ((bits >> (bits.element_size() * 8 - 1)) & magnitude)


def _zipf_law(log_prob: Tensor, log_weak: Tensor, log_non_target: Tensor,
              slots: TargetSlots, rank: str, rank_space: str,
              zipf_exponent: float) -> Tensor:
    """``Z``: Zipf's law over the rank of Eq. 10 with the targets set to
    0, not normalised, (N, C)."""
    if rank == 'weak':
        rank_values = log_weak.exp()
    else:
        final = log_prob.exp() if rank_space == 'prob' else log_prob
        if rank == 'final':
            rank_values = final
        elif rank == 'sum':
            rank_values = log_weak.exp() + final
        else:
            weak = log_weak.exp()
            rest_weak = 1 - _target_sum(weak, slots)
            if rank_space == 'prob':
                # log S_j - log N(S)_j = log(1 - S_t) at any non-target j,
                # exact also where 1 - S_t would cancel to 0; the most
                # likely j loses the least.
                top = log_non_target.argmax(1, keepdim=True)
                rest_final = (log_prob.gather(1, top) -
                              log_non_target.gather(1, top)).exp()
            else:
                rest_final = 1 - _target_sum(log_prob, slots)
            rank_values = weak.mul_(rest_final).addcmul_(final, rest_weak)
    order = torch.argsort(
        _sortable_keys(rank_values, non_negative=rank_space == 'prob'),
        dim=1,
        descending=True,
        stable=True)
    num_classes = rank_values.shape[1]
    zipf_law = torch.arange(
        1, num_classes + 1, dtype=rank_values.dtype,
        device=rank_values.device).pow_(-zipf_exponent)
    zipf = torch.empty_like(rank_values).scatter_(
        1, order, zipf_law.expand_as(rank_values))
    return zipf.scatter_(1, slots.index, 0.0)


@torch.no_grad()
def uskd_soft_labels(preds_S: Tensor,
                     gt_labels: Tensor,
                     preds_W: Optional[Tensor] = None,
                     *,
                     target: str = 'square',
                     rank: str = 'normalized',
                     rank_space: str = 'prob',
                     zipf_exponent: float = 1.0,
                     batch_stats: str = 'local') -> USKDSoftLabels:
    """The customised soft labels of USKD (Fig. 3), from "From Knowledge
    Distillation to Self-Knowledge Distillation: A Unified Approach with
    Normalized Loss and Customized Soft Labels" (Yang et al., ICCV 2023,
    arXiv 2303.13005). With ``S`` the student's probabilities, ``W`` the
    weak classifier's and ``V`` the label value of a target slot:

    - the soft target ``P_t = S_t^2 + V_t - mean(S_t^2)`` (Eq. 6, or the
      Table 8 variant ``target``), the mean over the batch per slot;
    - the Zipf labels: all C classes ordered by the rank
      ``R_i = W_i / (1 - W_t) + S_i / (1 - S_t)`` (Eq. 10, or the Table 9
      variant ``rank``), the class at 1-based position k gets
      ``k^-zipf_exponent`` (Eq. 11), the targets are removed and the rest
      renormalised, ``N(Z)`` of Eq. 12.

    Mixup/CutMix scores give up to two target slots (the two largest
    non-zero scores). Half-precision inputs are computed in float32.
    :class:`USKDLoss` documents the options.

    Args:
        preds_S (Tensor): Student (final classifier) logits, (N, C).
        gt_labels (Tensor): Class indices (N,) or Mixup/CutMix scores
            (N, C).
        preds_W (Tensor, optional): Weak classifier logits, (N, C); without
            them there are no Zipf labels.
        target (str): One of ``TARGET_MODES``. Defaults to 'square'.
        rank (str): One of ``RANK_MODES``. Defaults to 'normalized'.
        rank_space (str): One of ``RANK_SPACES``. Defaults to 'prob'.
        zipf_exponent (float): Exponent of Zipf's law. Defaults to 1.0.
        batch_stats (str): 'local' (this process's batch) or 'global' (the
            batches of all ranks, a collective). Defaults to 'local'.

    Returns:
        USKDSoftLabels: The detached labels.
    """
    for name, value, allowed in (('target', target,
                                  TARGET_MODES), ('rank', rank, RANK_MODES),
                                 ('rank_space', rank_space, RANK_SPACES),
                                 ('batch_stats', batch_stats, BATCH_STATS)):
        check_option('uskd_soft_labels', name, value, allowed)
    across_ranks = batch_stats == 'global'
    tensors = (preds_S, ) if preds_W is None else (preds_S, preds_W)
    dtype = compute_dtype(*tensors)
    slots = target_slots(gt_labels, dtype)
    logits = preds_S.detach().to(dtype)
    log_prob = F.log_softmax(logits, dim=1)
    if target == 'none':
        target_value = slots.value * slots.valid
    else:
        prob_t = log_prob.gather(1, slots.index).exp()
        target_value = _soft_target(prob_t, slots, target, across_ranks)
    non_target = None
    if preds_W is not None:
        log_weak = F.log_softmax(preds_W.detach().to(dtype), dim=1)
        log_non_target = F.log_softmax(
            drop_classes(logits, slots.index), dim=1)
        zipf = _zipf_law(log_prob, log_weak, log_non_target, slots, rank,
                         rank_space, zipf_exponent)
        # A row without non-target classes (C = 2, two targets) gets 0.
        total = zipf.sum(1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)
        non_target = zipf / total
    return USKDSoftLabels(slots.index, slots.valid, target_value, non_target)
