"""Input checks of the loss modules: each raises ``ValueError`` naming its
owner (the module's class name) and the shapes, dtypes or values it got.

Shape and dtype checks are free; a check of tensor values (label range,
soft-label rows, CTKD's temperature, CRD's indices) reads one flag from the
device, a host synchronisation, through :func:`value_check` - one per loss
and step. Benchmarks switch them off with :func:`no_value_checks` or the
environment variable ``MMCLS_KD_VALUE_CHECKS=0``.
"""
import contextlib
import math
import numbers
import os
from typing import Any, Iterator, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .ops import PER_SAMPLE_TAUS

# How far a row of soft labels may sum from 1 (Mixup/CutMix scores are
# exact up to rounding; label-smoothed half-precision scores are not).
SOFT_LABEL_ATOL = 1e-3


_VALUE_CHECKS = [os.environ.get('MMCLS_KD_VALUE_CHECKS', '1') != '0']


@contextlib.contextmanager
def no_value_checks() -> Iterator[None]:
    """Skip the checks of tensor values inside the block (benchmarks): no
    host synchronisation, and bad values pass unseen."""
    previous = _VALUE_CHECKS[0]
    _VALUE_CHECKS[0] = False
    try:
        yield
    finally:
        _VALUE_CHECKS[0] = previous


def value_check(bad: Tensor) -> bool:
    """Whether any element of the boolean tensor ``bad`` is set: one host
    synchronisation, or none (False) while value checks are off."""
    return _VALUE_CHECKS[0] and bool(bad.any())


def shape_of(value: Any) -> Any:
    """The shape of a tensor as a tuple, of a sequence as a list of shapes,
    or the type name of anything else (for error messages)."""
    if isinstance(value, Tensor):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        return [shape_of(item) for item in value]
    return type(value).__name__


def check_option(owner: str, name: str, value: str,
                 allowed: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f'{owner}: {name} must be one of '
                         f'{", ".join(map(repr, allowed))}, got {value!r}')


def _shown(value: Any) -> str:
    """A value as an error message shows it: numbers plainly (also NumPy
    scalars), anything else as its repr."""
    return str(value) if isinstance(value, numbers.Real) else repr(value)


def _is_number(value: Any) -> bool:
    """Real numbers without bools: ``True`` as a weight is a mistake."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_range(owner: str,
                name: str,
                value: Any,
                low: float,
                high: Optional[float] = None,
                *,
                low_open: bool = False,
                high_open: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number from
    ``low`` to ``high`` (None: unbounded; ``low_open``/``high_open``
    exclude the bound); otherwise raise ``ValueError`` naming ``name``, the
    value and the allowed range, e.g. ``NKDLoss: gamma must be >= 0, got
    -1.5``. NaN, infinities and bools are refused."""
    if high is None:
        allowed = f'{">" if low_open else ">="} {low:g}'
    else:
        allowed = (f'in {"(" if low_open else "["}{low:g}, {high:g}'
                   f'{")" if high_open else "]"}')
    if not (_is_number(value) and math.isfinite(value)):
        raise ValueError(f'{owner}: {name} must be a finite number '
                         f'{allowed}, got {_shown(value)}')
    above = value > low if low_open else value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (above and below):
        raise ValueError(
            f'{owner}: {name} must be {allowed}, got {_shown(value)}')
    return float(value)


def check_count(owner: str, name: str, value: Any, minimum: int) -> int:
    """Return ``value`` if it is an integer (not a bool) >= ``minimum``;
    otherwise raise ``ValueError`` naming ``name`` and the value."""
    if not (_is_number(value) and isinstance(value, numbers.Integral)
            and value >= minimum):
        raise ValueError(f'{owner}: {name} must be an integer >= {minimum}, '
                         f'got {_shown(value)}')
    return int(value)


def check_tau(owner: str, tau: Union[float, str], t_norm: float) -> None:
    """A fixed temperature must be positive, or one of the per-sample
    temperatures (``'norm'``, ``'zscore'``); ``t_norm`` must be positive
    either way."""
    if isinstance(tau, str):
        if tau not in PER_SAMPLE_TAUS:
            raise ValueError(f'{owner}: tau must be a number > 0 or one of '
                             f'{", ".join(map(repr, PER_SAMPLE_TAUS))}, '
                             f'got {tau!r}')
    else:
        check_range(owner, 'tau', tau, low=0, low_open=True)
    check_range(owner, 't_norm', t_norm, low=0, low_open=True)


def check_logits(owner: str,
                 preds_S: Tensor,
                 other: Optional[Tensor] = None,
                 other_name: str = '') -> None:
    """Check that ``preds_S`` is a non-empty (N, C) float tensor and that
    ``other`` (teacher or weak logits), if given, has the same shape."""
    if preds_S.dim() != 2 or preds_S.shape[0] == 0:
        raise ValueError(f'{owner}: preds_S must have the shape (N, C) with '
                         f'N >= 1, got {shape_of(preds_S)}')
    checked = [('preds_S', preds_S)]
    if other is not None:
        if other.shape != preds_S.shape:
            raise ValueError(
                f'{owner}: {other_name} must have the shape of preds_S '
                f'{shape_of(preds_S)}, got {shape_of(other)}')
        checked.append((other_name, other))
    for name, tensor in checked:
        if not tensor.is_floating_point():
            raise ValueError(f'{owner}: {name} must be a float tensor, '
                             f'got {tensor.dtype}')


def check_teacher(owner: str, preds_S: Tensor, preds_T: Tensor) -> None:
    """Check (N, C) student and teacher logits of the same shape, naming
    both class counts when the two models classify into different sets."""
    if (preds_S.dim() == 2 and preds_T.dim() == 2
            and preds_S.shape[1] != preds_T.shape[1]):
        raise ValueError(
            f'{owner}: the student predicts {preds_S.shape[1]} classes and '
            f'the teacher {preds_T.shape[1]} (preds_S '
            f'{shape_of(preds_S)}, preds_T {shape_of(preds_T)}); '
            'distillation needs the same classes')
    check_logits(owner, preds_S, preds_T, 'preds_T')


def check_num_classes(owner: str, preds_S: Tensor, minimum: int = 2) -> None:
    """Methods that split the classes into target and rest need two."""
    if preds_S.shape[1] < minimum:
        raise ValueError(f'{owner}: needs at least {minimum} classes, got '
                         f'preds_S {shape_of(preds_S)}')


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
        if value_check((gt_labels < 0) | (gt_labels >= num_classes)):
            raise ValueError(
                f'{owner}: gt_labels must be class indices in '
                f'[0, {num_classes}) for preds_S {shape_of(preds_S)}, got '
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
        if value_check(bad_rows):
            raise ValueError(
                f'{owner}: soft gt_labels {shape_of(gt_labels)} must be '
                f'non-negative with rows summing to 1 (atol '
                f'{SOFT_LABEL_ATOL}), got row sums in '
                f'[{float(row_sums.min()):.4g}, {float(row_sums.max()):.4g}]'
                f' and minimum value {float(scores.min()):.4g}')
        return True
    raise ValueError(f'{owner}: gt_labels must have the shape {expected}, '
                     f'got {shape_of(gt_labels)}')


def check_feature_shape(owner: str, name: str, feature: Tensor,
                        expected: Sequence[Optional[int]]) -> None:
    """Raise ``ValueError`` unless ``feature`` has ``len(expected)``
    dimensions whose sizes match ``expected`` (None: any size), naming both
    shapes, e.g. ``ATLoss: preds_S must have the shape (4, *, 8, 8), got
    (4, 64, 16, 16)``."""
    fits = (isinstance(feature, Tensor) and feature.dim() == len(expected)
            and all(size is None or size == got
                    for size, got in zip(expected, feature.shape)))
    if not fits:
        shown = ', '.join('*' if size is None else str(size)
                          for size in expected)
        if len(expected) == 1:
            shown += ','
        raise ValueError(f'{owner}: {name} must have the shape ({shown}), '
                         f'got {shape_of(feature)}')


def any_batch(feature: Any) -> Tuple[None, ...]:
    """A batch of features of any size: at least two dimensions, as many
    as ``feature`` has."""
    dims = feature.dim() if isinstance(feature, Tensor) else 2
    return (None, ) * max(dims, 2)


def batch_shape(reference: Tensor,
                feature: Any) -> Tuple[Optional[int], ...]:
    """What a feature compared sample by sample with ``reference`` must
    look like: its batch size, any other sizes."""
    return (reference.shape[0], ) + any_batch(feature)[1:]


def check_batch_pair(owner: str, preds_S: Tensor, preds_T: Tensor) -> None:
    """Student and teacher features of one batch (at least two dimensions
    each, any other sizes), for losses that relate the samples of the
    batch."""
    check_feature_shape(owner, 'preds_T', preds_T, any_batch(preds_T))
    check_feature_shape(owner, 'preds_S', preds_S,
                        batch_shape(preds_T, preds_S))


def check_feature_lists(owner: str,
                        preds_S: Any,
                        preds_T: Any,
                        least: int = 2) -> None:
    """Student and teacher features recorded at the same points: two lists
    of one length, at least ``least`` long, of (N, C, H, W) features with
    the same (N, C) at each point (the sizes of the maps may differ)."""
    if not (isinstance(preds_S, (list, tuple))
            and isinstance(preds_T, (list, tuple))
            and len(preds_S) == len(preds_T) >= least):
        raise ValueError(
            f'{owner}: expected two lists of at least {least} features of '
            f'one length, got student {shape_of(preds_S)} and teacher '
            f'{shape_of(preds_T)}')
    for i, (s, t) in enumerate(zip(preds_S, preds_T)):
        if s.dim() != 4 or t.dim() != 4 or s.shape[:2] != t.shape[:2]:
            raise ValueError(
                f'{owner}: student feature {i} {shape_of(s)} must have the '
                f'(N, C) of teacher feature {i} {shape_of(t)}; all '
                f'features: student {shape_of(preds_S)}, teacher '
                f'{shape_of(preds_T)}')
