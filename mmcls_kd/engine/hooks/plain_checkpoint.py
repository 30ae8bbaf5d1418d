"""Training checkpoints that load weights-only and leave the frozen teacher
out.

MMEngine writes its message hub as ``HistoryBuffer`` objects and numpy
scalars, which ``torch.load(weights_only=True)`` refuses: resuming would
need a file trusted to run code. A distillation checkpoint also carries the
frozen teacher, which never changes during a run (tens of MB every epoch for
an ImageNet teacher).
"""
import os.path as osp
from collections import Counter, OrderedDict
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper

from mmcls_kd.checkpoint import TRUST_ENV, file_sha256
from mmcls_kd.checkpoint.io import non_plain_place
from mmcls_kd.registry import HOOKS

#: ``message_hub['log_scalars']`` entries written as plain values.
PLAIN_BUFFERS = 'plain_log_scalars'
TEACHER_PREFIX = 'teacher.'


def plain_value(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as numbers and tensors."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, dict):
        # OrderedDict stays (state dicts); other dicts (a scheduler's
        # milestones Counter) become plain ones.
        kind = OrderedDict if type(value) is OrderedDict else dict
        return kind((key, plain_value(item)) for key, item in value.items())
    if type(value) in (list, tuple):
        return type(value)(plain_value(item) for item in value)
    return value


def _buffer_to_plain(buffer: HistoryBuffer) -> dict:
    logs, counts = buffer.data
    return dict(log_history=torch.from_numpy(np.asarray(logs,
                                                        dtype=np.float64)),
                count_history=torch.from_numpy(
                    np.asarray(counts, dtype=np.int64)),
                max_length=int(buffer.max_length))


def _buffer_from_plain(plain: dict) -> HistoryBuffer:
    return HistoryBuffer(plain['log_history'].numpy(),
                         plain['count_history'].numpy(), plain['max_length'])


def _frozen_teacher(runner) -> Optional[Any]:
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    teacher_ckpt = getattr(model, 'teacher_ckpt', None)
    if getattr(model, 'teacher', None) is None or not teacher_ckpt:
        return None
    return model


class CheckpointFormatError(RuntimeError):
    """A checkpoint of an older format that cannot be resumed weights-only."""


class CheckpointTeacherError(RuntimeError):
    """The teacher a checkpoint was trained with is not the one at hand."""


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints as plain containers (tensors, numbers, strings)
    without the frozen teacher, and rebuild both on load.

    * The message hub's ``HistoryBuffer``s are stored as tensors and
      rebuilt when a checkpoint is loaded; numpy scalars become numbers. A
      checkpoint that still holds anything ``torch.load(weights_only=True)``
      cannot read stops the save, naming it.
    * A distillation model's ``teacher.*`` weights are left out; the meta
      records the teacher checkpoint's path and sha256 instead. On load the
      teacher's weights come from the teacher the model loaded from
      ``model.teacher_ckpt``, which must have the recorded sha256.

    ``KDRunner`` adds it to every run.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._teacher_sha: Dict[str, str] = {}

    def _sha(self, path: str) -> str:
        if path not in self._teacher_sha:
            self._teacher_sha[path] = file_sha256(path)
        return self._teacher_sha[path]

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and isinstance(hub.get('log_scalars'), dict):
            hub[PLAIN_BUFFERS] = {
                name: _buffer_to_plain(buffer)
                for name, buffer in hub.pop('log_scalars').items()
            }
        model = _frozen_teacher(runner)
        if model is not None:
            state = checkpoint['state_dict']
            for key in [k for k in state if k.startswith(TEACHER_PREFIX)]:
                del state[key]
            checkpoint['meta']['teacher'] = dict(checkpoint=model.teacher_ckpt,
                                                 sha256=self._sha(
                                                     model.teacher_ckpt))
        for key in list(checkpoint):
            checkpoint[key] = plain_value(checkpoint[key])
        found = non_plain_place(checkpoint, 'checkpoint')
        if found is not None:
            raise TypeError(f'the checkpoint would not load weights-only: '
                            f'{found}; whatever put it there must store '
                            'plain values')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and PLAIN_BUFFERS in hub:
            hub['log_scalars'] = {
                name: _buffer_from_plain(plain)
                for name, plain in hub.pop(PLAIN_BUFFERS).items()
            }
        elif (getattr(runner, '_resume', False) and isinstance(hub, dict)
              and any(not isinstance(buffer, HistoryBuffer)
                      for buffer in hub.get('log_scalars', {}).values())):
            # Read weights-only, an older checkpoint's buffers are inert.
            raise CheckpointFormatError(
                'this checkpoint was written before training checkpoints '
                'were plain (its message hub holds MMEngine objects, which a '
                'weights-only load does not rebuild). If you trust the file, '
                f'resume it with {TRUST_ENV}=1')
        for scheduler in checkpoint.get('param_schedulers') or []:
            # MMEngine's multi-step schedulers keep their milestones counted.
            if isinstance(scheduler, dict) and type(
                    scheduler.get('milestones')) is dict:
                scheduler['milestones'] = Counter(scheduler['milestones'])
        model = _frozen_teacher(runner)
        recorded = (checkpoint.get('meta') or {}).get('teacher')
        if model is None or not isinstance(recorded, dict):
            return
        path = model.teacher_ckpt
        if not osp.isfile(path) or self._sha(path) != recorded['sha256']:
            state = 'is gone' if not osp.isfile(path) else (
                f'has sha256 {self._sha(path)}')
            raise CheckpointTeacherError(
                f'this checkpoint was trained with the teacher '
                f'{recorded["checkpoint"]} (sha256 {recorded["sha256"]}), '
                f'which it does not hold; model.teacher_ckpt {path} {state}. '
                'Set model.teacher_ckpt to that teacher file')
        state = checkpoint['state_dict']
        for key, value in model.state_dict().items():
            if key.startswith(TEACHER_PREFIX):
                state.setdefault(key, value)
