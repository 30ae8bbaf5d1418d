"""Fitting a state dict to a model: one report of the keys that are missing,
unexpected or of another shape, and strict loading that raises it."""
from dataclasses import dataclass
from typing import Dict, Mapping, Tuple

from torch import Tensor, nn

from .io import read_state_dict
from .student import extraction_command, is_distillation_state

_SHOWN_KEYS = 5
Shape = Tuple[int, ...]


@dataclass(frozen=True)
class FitReport:
    """How a state dict fits the state dict a model expects.

    Args:
        missing: keys the model expects and the state dict lacks, in the
            model's order.
        unexpected: keys of the state dict the model has no place for, in
            the state dict's order.
        mis_shaped: ``(key, found shape, expected shape)`` of the keys both
            hold with different shapes, in the model's order.
    """
    missing: Tuple[str, ...] = ()
    unexpected: Tuple[str, ...] = ()
    mis_shaped: Tuple[Tuple[str, Shape, Shape], ...] = ()

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.mis_shaped)

    def __str__(self) -> str:
        shapes = [
            f'{key}: found {found}, expected {expected}'
            for key, found, expected in self.mis_shaped
        ]
        labels = ('missing', 'unexpected', 'of another shape')
        lists = (self.missing, self.unexpected, shapes)
        parts = [
            _listed(lab, keys) for lab, keys in zip(labels, lists) if keys
        ]
        return '; '.join(parts) or 'every key fits'


def _listed(label: str, items) -> str:
    shown = ', '.join(items[:_SHOWN_KEYS])
    more = len(items) - _SHOWN_KEYS
    return f'{len(items)} {label} ({shown}' + (f', ... {more} more)'
                                               if more > 0 else ')')


class StateDictMismatchError(ValueError):
    """A state dict does not fit a model; ``report`` says how.

    Args:
        source: what the state dict is (a checkpoint path, ...).
        target: what it was meant for (``'the teacher model'``, ...).
        report: the keys that do not fit.
        hint: a sentence appended to the message (what to check).
    """

    def __init__(self,
                 source: str,
                 target: str,
                 report: FitReport,
                 hint: str = '') -> None:
        self.source, self.target = source, target
        self.report, self.hint = report, hint
        super().__init__(f'{source} does not fit {target}: {report}' +
                         (f'. {hint}' if hint else ''))

    def __reduce__(self):
        return type(self), (self.source, self.target, self.report, self.hint)


def fit_report(expected: Mapping[str, Tensor],
               state: Mapping[str, Tensor]) -> FitReport:
    """Compare ``state`` with the state dict ``expected`` of a model."""
    return FitReport(
        missing=tuple(key for key in expected if key not in state),
        unexpected=tuple(key for key in state if key not in expected),
        mis_shaped=tuple((key, tuple(state[key].shape), tuple(value.shape))
                         for key, value in expected.items()
                         if key in state and state[key].shape != value.shape))


def fit_state_dict(expected: Mapping[str, Tensor],
                   state: Mapping[str, Tensor],
                   source: str = 'the state dict',
                   target: str = 'the model',
                   hint: str = '') -> Dict[str, Tensor]:
    """``state`` in the order of ``expected`` when every key fits.

    Raises:
        StateDictMismatchError: with the :class:`FitReport` of ``state``.
    """
    report = fit_report(expected, state)
    if not report.fits:
        raise StateDictMismatchError(source, target, report, hint)
    return {key: state[key] for key in expected}


def load_state_dict_strict(model: nn.Module,
                           state: Mapping[str, Tensor],
                           source: str = 'the state dict',
                           target: str = 'the model',
                           hint: str = '') -> None:
    """Load ``state`` into ``model`` when every key fits (see
    :func:`fit_state_dict`), else raise one error naming them all."""
    model.load_state_dict(
        fit_state_dict(model.state_dict(), state, source, target, hint))


def load_checkpoint(model: nn.Module,
                    source: str,
                    target: str = 'the model',
                    hint: str = '') -> dict:
    """Read the checkpoint at ``source`` (a path or URL, under the trust
    rule) and load its state dict into ``model`` strictly.

    Returns:
        The checkpoint's ``meta`` ({} when it has none).

    Raises:
        ValueError: a distillation checkpoint for a model that is not a
            distillation algorithm (the message gives the command that
            extracts its student), or a :class:`StateDictMismatchError`.
    """
    state, meta = read_state_dict(source)
    expected = model.state_dict()
    if is_distillation_state(state) and not is_distillation_state(expected):
        raise ValueError(f'{source} is a distillation checkpoint; convert it '
                         f'first: {extraction_command(source)}')
    model.load_state_dict(
        fit_state_dict(expected, state, source, target, hint))
    return meta


__all__ = [
    'FitReport', 'StateDictMismatchError', 'fit_report', 'fit_state_dict',
    'load_checkpoint', 'load_state_dict_strict'
]
