"""MMRazor's configurable distiller with the wiring of logit distillation
written once."""
import copy
import inspect
from typing import Dict, FrozenSet, Optional

from mmrazor.models.distillers import ConfigurableDistiller
from torch import Tensor

from mmcls_kd.registry import MODELS

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
          inspect.Parameter.KEYWORD_ONLY)

#: What every logit loss reads: the outputs of the classifier's last linear
#: layer and the labels (the second input of the head's loss module, which
#: carries Mixup/CutMix scores when the student mixes its batch).
STUDENT_RECORDERS = dict(
    logits=dict(type='ModuleOutputs', source='head.fc'),
    labels=dict(type='ModuleInputs', source='head.loss_module'))
DEFAULT_FORWARD_MAPPING = dict(
    preds_S=dict(from_student=True, recorder='logits'),
    preds_T=dict(from_student=False, recorder='logits'),
    gt_labels=dict(from_student=True, recorder='labels', data_idx=1),
    # USKD's weak classifier on a middle feature (configs name them so).
    preds_W=dict(from_student=True, recorder='middle', connector='weak'))


def merge_by_name(defaults: Dict[str, dict],
                  given: Optional[Dict[str, dict]]) -> Dict[str, dict]:
    """``defaults`` updated entry by entry: a given entry's keys override
    the default entry's (``--cfg-options ...logits.source=X`` keeps the
    recorder's type); new names are added."""
    merged = copy.deepcopy(defaults)
    for name, entry in (given or {}).items():
        merged[name] = {**merged.get(name, {}), **entry}
    return merged


def with_recorder_types(recorders: Dict[str, dict]) -> Dict[str, dict]:
    """A recorder given without a type records its module's outputs."""
    return {
        name: entry if 'type' in entry else dict(entry, type='ModuleOutputs')
        for name, entry in recorders.items()
    }


def _summary(value) -> str:
    """A record as an error message shows it: the shape of a tensor, the
    shapes of a sequence of tensors, the type (and length) of the rest."""
    if isinstance(value, Tensor):
        return str(tuple(value.shape))
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, Tensor) for item in value):
            return str([tuple(item.shape) for item in value])
        return f'{type(value).__name__} of {len(value)}'
    return type(value).__name__


@MODELS.register_module()
class KDDistiller(ConfigurableDistiller):
    """MMRazor's ``ConfigurableDistiller`` with default wiring, that refuses
    a loss it would never compute.

    Logit losses read the same records in every config, so they are written
    here once and a method config names only its loss:

    - student recorders ``logits`` (``head.fc`` outputs) and ``labels``
      (the inputs of ``head.loss_module``); the teacher's ``logits`` are
      recorded as the student's unless given;
    - each loss gets, for every argument of its ``forward`` named in the
      default mapping (``preds_S``, ``preds_T``, ``gt_labels``,
      ``preds_W``) whose record exists, that record; its
      ``loss_forward_mappings`` entry, if any, overrides argument by
      argument (feature losses map ``preds_S`` and ``preds_T`` to their own
      records).

    Given recorders and mapping entries are merged by name over these
    defaults, so ``--cfg-options`` reaches every field; a recorder given
    without a type is a ``ModuleOutputs`` recorder. MMRazor computes
    only the losses that have a mapping, so a forgotten mapping would
    silently never train; here every required argument of every loss (and
    every input its ``required_inputs``, if it has one, names) must come
    from a record, checked when the distiller is built.

    A record that cannot be read as mapped, or a connector or loss that
    refuses its input (``ValueError``), fails with a ``ValueError`` naming
    the loss and, for each of its inputs, the recorder it came from (side,
    name, recorded module) and the connector it went through, so a
    recorder pointing at the wrong module is named.

    The losses computed are those named in :attr:`active_losses` (all of
    them while it is None); an initialisation phase
    (:class:`~mmcls_kd.engine.hooks.InitPhaseHook`) narrows it.

    Args:
        student_recorders (dict, optional): recorders on the student, over
            the defaults above.
        teacher_recorders (dict, optional): recorders on the teacher, over
            a ``logits`` recorder like the student's.
        default_forward_mapping (dict, optional): argument name -> record,
            over the default mapping above.
        loss_forward_mappings (dict, optional): per-loss mappings, as in
            ``ConfigurableDistiller``, over the default mapping.
        **kwargs: connectors, losses and deliveries, as in
            ``ConfigurableDistiller``.
    """

    #: Names of the losses computed; None: every loss.
    active_losses: Optional[FrozenSet[str]] = None

    def __init__(self,
                 student_recorders: Optional[Dict[str, dict]] = None,
                 teacher_recorders: Optional[Dict[str, dict]] = None,
                 default_forward_mapping: Optional[Dict[str, dict]] = None,
                 loss_forward_mappings: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        student_recorders = with_recorder_types(
            merge_by_name(STUDENT_RECORDERS, student_recorders))
        teacher_recorders = with_recorder_types(
            merge_by_name(dict(logits=student_recorders['logits']),
                          teacher_recorders))
        super().__init__(
            student_recorders=student_recorders,
            teacher_recorders=teacher_recorders,
            **kwargs)
        defaults = merge_by_name(DEFAULT_FORWARD_MAPPING,
                                 default_forward_mapping)
        explicit = loss_forward_mappings or {}
        unknown = sorted(set(explicit) - set(self.distill_losses))
        if unknown:
            raise ValueError(
                f'{type(self).__name__}: loss_forward_mappings names '
                f'{unknown}, which are not in distill_losses '
                f'{sorted(self.distill_losses)}')
        mappings = {}
        for name, loss in self.distill_losses.items():
            params = {
                arg: param
                for arg, param in inspect.signature(
                    loss.forward).parameters.items() if param.kind in _NAMED
            }
            mapping = {
                arg: defaults[arg]
                for arg in params
                if arg in defaults and self._has_record(defaults[arg])
            }
            mapping = merge_by_name(mapping, explicit.get(name))
            # Inputs a loss needs beyond its signature's required ones (its
            # options decide, e.g. USKD's weak logits).
            needed = set(getattr(loss, 'required_inputs', ()))
            missing = [
                arg for arg, param in params.items()
                if (param.default is param.empty or arg in needed)
                and arg not in mapping
            ]
            if missing:
                raise ValueError(
                    f'{type(self).__name__}: the inputs {missing} of {name} '
                    f'({type(loss).__name__}) come from no record; map them '
                    f'in loss_forward_mappings.{name}')
            mappings[name] = mapping
        self._check_loss_forward_mappings(self.distill_losses, mappings,
                                          self.student_recorders,
                                          self.teacher_recorders)
        self.loss_forward_mappings = mappings

    def _has_record(self, record: dict) -> bool:
        recorders = (self.student_recorders if record['from_student'] else
                     self.teacher_recorders).recorders
        connector = record.get('connector')
        return record['recorder'] in recorders and (
            connector is None or connector in self.connectors)

    def _describe(self, record: dict) -> str:
        side = 'student' if record['from_student'] else 'teacher'
        manager = (self.student_recorders
                   if record['from_student'] else self.teacher_recorders)
        source = manager.recorders[record['recorder']].source
        text = f"the {side} recorder '{record['recorder']}' ({source})"
        if record.get('connector'):
            text += f" through the connector '{record['connector']}'"
        return text

    def compute_distill_losses(self) -> Dict[str, Tensor]:
        """MMRazor's loop over the active losses, naming the records behind
        an input a connector or loss refuses."""
        losses = {}
        for name, mapping in self.loss_forward_mappings.items():
            if self.active_losses is not None and \
                    name not in self.active_losses:
                continue
            inputs = {}
            for arg, record in mapping.items():
                try:
                    inputs[arg] = self.get_record(**record)
                # MMRazor's recorders raise TypeError for a data_idx into a
                # record that is not a sequence.
                except (TypeError, ValueError) as err:
                    raise ValueError(f'{name}: input {arg} from '
                                     f'{self._describe(record)}: '
                                     f'{err}') from err
            try:
                losses[name] = self.distill_losses[name](**inputs)
            except ValueError as err:
                sources = '; '.join(
                    f'{arg} {_summary(inputs[arg])} from '
                    f'{self._describe(record)}'
                    for arg, record in mapping.items())
                raise ValueError(f'{name} ({sources}): {err}') from err
        return losses
