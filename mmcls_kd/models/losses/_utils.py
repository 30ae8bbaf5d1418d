"""Input checks, precision, target classes, sort keys and batch statistics
shared by the losses."""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

# How far a row of soft labels may sum from 1 (Mixup/CutMix scores are
# exact up to rounding; label-smoothed half-precision scores are not).
SOFT_LABEL_ATOL = 1e-3


def check_option(owner: str, name: str, value: str,
                 allowed: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f'{owner}: {name} must be one of '
                         f'{", ".join(map(repr, allowed))}, got {value!r}')


def _shape(tensor: Tensor) -> Tuple[int, ...]:
    return tuple(tensor.shape)


def check_logits(owner: str,
                 preds_S: Tensor,
                 other: Optional[Tensor] = None,
                 other_name: str = '') -> None:
    """Check that ``preds_S`` is a non-empty (N, C) float tensor and that
    ``other`` (teacher or weak logits), if given, has the same shape."""
    if preds_S.dim() != 2 or preds_S.shape[0] == 0:
        raise ValueError(f'{owner}: preds_S must have the shape (N, C) with '
                         f'N >= 1, got {_shape(preds_S)}')
    checked = [('preds_S', preds_S)]
    if other is not None:
        if other.shape != preds_S.shape:
            raise ValueError(
                f'{owner}: {other_name} must have the shape of preds_S '
                f'{_shape(preds_S)}, got {_shape(other)}')
        checked.append((other_name, other))
    for name, tensor in checked:
        if not tensor.is_floating_point():
            raise ValueError(f'{owner}: {name} must be a float tensor, '
                             f'got {tensor.dtype}')


def check_labels(owner: str, gt_labels: Tensor, preds_S: Tensor) -> bool:
    """Validate ``gt_labels`` against the (N, C) logits ``preds_S``.

    Accepted are class indices of shape (N,) with an integer dtype and values
    in [0, C), or scores of shape (N, C) (Mixup/CutMix) with a float dtype,
    no negative value and rows summing to 1 within ``SOFT_LABEL_ATOL``.

    Returns:
        bool: True for soft labels, False for class indices.
    """
    num_samples, num_classes = preds_S.shape
    expected = (f'({num_samples},) of class indices or '
                f'({num_samples}, {num_classes}) of scores')
    if gt_labels.dim() == 1 and gt_labels.shape[0] == num_samples:
        if gt_labels.is_floating_point() or gt_labels.is_complex() \
                or gt_labels.dtype == torch.bool:
            raise ValueError(f'{owner}: gt_labels of the shape {expected} '
                             f'must be integer class indices, got '
                             f'{gt_labels.dtype}')
        # One host synchronisation per call; the details only on failure.
        if bool(((gt_labels < 0) | (gt_labels >= num_classes)).any()):
            raise ValueError(
                f'{owner}: gt_labels must be class indices in '
                f'[0, {num_classes}) for preds_S {_shape(preds_S)}, got '
                f'values in [{int(gt_labels.min())}, '
                f'{int(gt_labels.max())}]')
        return False
    if gt_labels.dim() == 2 and gt_labels.shape == preds_S.shape:
        if not gt_labels.is_floating_point():
            raise ValueError(f'{owner}: gt_labels of the shape {expected} '
                             f'must be float scores, got {gt_labels.dtype}')
        scores = gt_labels.detach().float()
        row_sums = scores.sum(1)
        bad_rows = ((row_sums - 1).abs() > SOFT_LABEL_ATOL) \
            | (scores.amin(1) < 0) | ~torch.isfinite(row_sums)
        if bool(bad_rows.any()):
            raise ValueError(
                f'{owner}: soft gt_labels {_shape(gt_labels)} must be '
                f'non-negative with rows summing to 1 (atol '
                f'{SOFT_LABEL_ATOL}), got row sums in '
                f'[{float(row_sums.min()):.4g}, {float(row_sums.max()):.4g}]'
                f' and minimum value {float(scores.min()):.4g}')
        return True
    raise ValueError(f'{owner}: gt_labels must have the shape {expected}, '
                     f'got {_shape(gt_labels)}')


def drop_classes(logits: Tensor, index: Tensor) -> Tensor:
    """Give the classes in ``index`` (N, K) a logit so low that a softmax
    over the row is one over the remaining classes only.

    The most negative finite value instead of -inf keeps ``0 * log p`` at
    the dropped classes finite and a row with nothing left free of NaN.
    """
    return logits.scatter(1, index, torch.finfo(logits.dtype).min)


def compute_dtype(*tensors: Tensor) -> torch.dtype:
    """The dtype the losses compute in: float64 if any input is float64,
    float32 otherwise (half and bfloat16 inputs are upcast, so softmax and
    log-softmax never run in half precision)."""
    if any(tensor.dtype == torch.float64 for tensor in tensors):
        return torch.float64
    return torch.float32


def is_distributed() -> bool:
    """Whether a process group with more than one rank is running."""
    return dist.is_available() and dist.is_initialized() \
        and dist.get_world_size() > 1


def reduce_over_ranks(tensor: Tensor, op: str, across_ranks: bool) -> Tensor:
    """Reduce a detached statistic over all ranks when asked to and when a
    process group with more than one rank runs; identity otherwise.

    Every rank must call this in the same order (it is a collective).

    Args:
        tensor (Tensor): A statistic of this rank's batch; not modified.
        op (str): 'sum', 'min' or 'max'.
        across_ranks (bool): False keeps the local value.
    """
    if not (across_ranks and is_distributed()):
        return tensor
    reduce_op = {
        'sum': dist.ReduceOp.SUM,
        'min': dist.ReduceOp.MIN,
        'max': dist.ReduceOp.MAX
    }[op]
    reduced = tensor.clone()
    dist.all_reduce(reduced, op=reduce_op)
    return reduced


class TargetSlots(NamedTuple):
    """Up to two target classes per sample, as (N, 2) tensors.

    An empty slot repeats the class of the first slot, so that scattering
    or gathering at ``index`` touches exactly the real targets, and has
    ``value`` 0 and ``valid`` False.
    """
    index: Tensor
    value: Tensor
    valid: Tensor


def target_slots(gt_labels: Tensor, soft: bool,
                 dtype: torch.dtype) -> TargetSlots:
    """The target classes of validated labels: the class index, or the two
    largest scores of a row (the first class on ties), the second only when
    it is not zero."""
    if not soft:
        index = gt_labels.long().unsqueeze(1).expand(-1, 2).contiguous()
        valid = torch.zeros_like(index, dtype=torch.bool)
        valid[:, 0] = True
        return TargetSlots(index, valid.to(dtype), valid)
    scores = gt_labels.detach().to(dtype)
    # Two argmax passes (first index on ties) are a deterministic top-2.
    first = scores.argmax(dim=1, keepdim=True)
    second = scores.scatter(1, first, -1.0).argmax(dim=1, keepdim=True)
    second_value = scores.gather(1, second)
    has_second = second_value > 0
    index = torch.cat([first, torch.where(has_second, second, first)], 1)
    value = torch.cat([scores.gather(1, first), second_value], 1)
    valid = torch.cat([torch.ones_like(has_second), has_second], 1)
    return TargetSlots(index, value * valid, valid)


def sortable_keys(values: Tensor, non_negative: bool) -> Tensor:
    """Integers that order as the float ``values`` do.

    Integer keys sort markedly faster than floats on CPU, where the float
    comparison has to place NaN. The bit pattern of a non-negative float
    already orders as a signed integer; flipping all bits but the sign of a
    negative one reverses its order into place.
    """
    bits = values.view(torch.int64 if values.dtype == torch.float64 else
                       torch.int32)
    if non_negative:
        return bits
    magnitude = torch.iinfo(bits.dtype).max
    return bits ^ ((bits >> (bits.element_size() * 8 - 1)) & magnitude)
