"""Numeric helpers of the losses: the precision they compute in, target
classes of labels and their removal from a softmax, temperatures and the KL
divergence of each row. None of them validates its inputs (the loss
modules do, with :mod:`.checks`)."""
from typing import NamedTuple, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

# ``tau='norm'``: NormKD's per-sample temperature (arXiv 2308.00520).
NORM_TAU = 'norm'
# ``tau='zscore'``: logit standardisation (arXiv 2403.01427).
ZSCORE_TAU = 'zscore'
# The temperatures computed from each row's logits.
PER_SAMPLE_TAUS = (NORM_TAU, ZSCORE_TAU)
# Added to the standard deviation by logit standardisation's official code.
ZSCORE_EPS = 1e-7

Temperature = Union[float, Tensor]


def compute_dtype(*tensors: Tensor) -> torch.dtype:
    """The dtype the losses compute in: float64 if any input is float64,
    float32 otherwise (half and bfloat16 inputs are upcast, so softmax and
    log-softmax never run in half precision)."""
    if any(tensor.dtype == torch.float64 for tensor in tensors):
        return torch.float64
    return torch.float32


def target_index(gt_labels: Tensor) -> Tensor:
    """The target class of each sample as an (N, 1) index: the class index
    of (N,) labels, or the first largest score of (N, C) Mixup/CutMix
    scores (as the official NKD code takes it)."""
    if gt_labels.dim() == 2:
        gt_labels = gt_labels.argmax(dim=1)
    return gt_labels.long().unsqueeze(1)


class TargetSlots(NamedTuple):
    """Up to two target classes per sample, as (N, 2) tensors.

    An empty slot repeats the class of the first slot, so that scattering
    or gathering at ``index`` touches exactly the real targets, and has
    ``value`` 0 and ``valid`` False.
    """
    index: Tensor
    value: Tensor
    valid: Tensor


def target_slots(gt_labels: Tensor, dtype: torch.dtype) -> TargetSlots:
    """The target classes of (N,) class indices, or of (N, C) scores the
    two largest (the first class on ties), the second only when it is not
    zero; values in ``dtype``."""
    if gt_labels.dim() == 1:
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


def drop_classes(logits: Tensor, index: Tensor) -> Tensor:
    """Give the classes in ``index`` (N, K) a logit so low that a softmax
    over the row is one over the remaining classes only.

    The most negative finite value instead of -inf keeps ``0 * log p`` at
    the dropped classes finite and a row with nothing left free of NaN.
    """
    return logits.scatter(1, index, torch.finfo(logits.dtype).min)


def soften(logits: Tensor, tau: Union[float, str],
           t_norm: float) -> Tuple[Tensor, Temperature]:
    """Divide logits by their temperature; return them and the temperature
    whose square (:func:`square`) weights the loss of each sample, KD's
    ``tau^2``.

    Besides a fixed ``tau``, two temperatures computed from each row ``z``
    (the unbiased standard deviation over the classes, as both methods'
    official code computes it):

    - ``'norm'``: NormKD's ``T = t_norm * std(z)`` (arXiv 2308.00520),
      returned as an (N, 1) tensor: the losses weight each sample by the
      teacher's ``T^2``.
    - ``'zscore'``: logit standardisation's ``(z - mean(z)) / (std(z) +
      1e-7) / t_norm`` (arXiv 2403.01427), ``t_norm`` being its base
      temperature, returned as the temperature: every sample is weighted
      by ``t_norm^2``, as in the official code.

    The rows are centred in both cases: softmax ignores the shift, and a row
    of equal logits (std 0) then gives zeros, i.e. the uniform
    distribution, not 0 / 0.
    """
    if tau not in PER_SAMPLE_TAUS:
        return logits / tau, tau
    centred = logits - logits.mean(dim=1, keepdim=True)
    std = logits.std(dim=1, keepdim=True)
    if tau == ZSCORE_TAU:
        return centred / (std + ZSCORE_EPS) / t_norm, t_norm
    temperature = (std * t_norm).clamp_min(torch.finfo(logits.dtype).tiny)
    return centred / temperature, temperature


def square(temperature: Temperature) -> Temperature:
    """``T^2`` as a per-sample (N,) weight or a number."""
    if isinstance(temperature, Tensor):
        return temperature.square().squeeze(1)
    return temperature**2


def unit_vectors(vectors: Tensor, dim: int) -> Tensor:
    """Unit vectors along ``dim``; a zero vector stays 0, with zero
    gradient (``F.normalize`` gives it a gradient of 1 / eps)."""
    norm = vectors.norm(dim=dim, keepdim=True)
    return torch.where(norm > 0, vectors / norm.clamp_min(1e-12),
                       torch.zeros_like(vectors))


def kl_rows(log_student: Tensor, log_teacher: Tensor) -> Tensor:
    """``KL(teacher || student)`` of each row, (N,), from log-probabilities.

    Log-probabilities of classes that a row leaves out must be very negative
    but finite (see ``drop_classes``): their probability is then exactly 0
    and they add nothing.
    """
    return F.kl_div(
        log_student, log_teacher, reduction='none', log_target=True).sum(1)
