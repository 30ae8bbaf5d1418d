"""The student of a distillation checkpoint, alone.

A distillation run saves the whole algorithm: the student under
``architecture.``, the teacher under ``teacher.`` (teacher KD) and the
distiller's learnable parts under ``distiller.`` (e.g. USKD's weak classifier
in ``distiller.connectors.weak``). Two outputs are written, both as
``{'meta': ..., 'state_dict': ...}`` holding only tensors and plain values,
so ``torch.load(..., weights_only=True)`` reads them:

* ``classifier``: the student ``ImageClassifier`` (``backbone.*``, ``neck.*``,
  ``head.*``, ``data_preprocessor.*`` buffers if any), for ``load_from`` or
  ``tools/test.py`` with the student's config.
* ``backbone``: the student's backbone with bare keys (``conv1.weight``,
  ``layer1.0.conv1.weight``, ...), for
  ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` with no ``prefix``.

:func:`is_distillation_state` recognises such a checkpoint where a classifier
is expected; :func:`extraction_command` says how to convert it.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, List, Tuple

import torch

from .io import file_sha256, is_plain, read_state_dict, save_checkpoint

MODES = ('classifier', 'backbone')
TEACHER_KD = 'teacher KD'
SELF_KD = 'self-KD'
EXTRACT_TOOL = 'tools/model_converters/extract_student.py'

_STUDENT = 'architecture.'
# Prefixes under which an algorithm's parts are grouped two levels deep, so
# the record says e.g. ``distiller.connectors`` rather than ``distiller``.
_NESTED_GROUPS = ('architecture', 'distiller')
_DETECTOR_PARTS = {'rpn_head', 'roi_head', 'bbox_head', 'mask_head',
                   'decode_head', 'auxiliary_head'}
# Source meta carried over: what MMPretrain's inferencer and a reader of the
# file use (class names, how far training had gone).
_KEPT_META = ('dataset_meta', 'epoch', 'iter', 'experiment_name')
_SHOWN_GROUPS = 8


def is_distillation_state(keys: Iterable[str]) -> bool:
    """Whether a state dict (or its keys) is a distillation algorithm's:
    the student under ``architecture.``."""
    return any(key.startswith(_STUDENT) for key in keys)


def extraction_command(path: str) -> str:
    """The command that writes the student of the distillation checkpoint
    ``path`` as a classifier checkpoint."""
    return f'python {EXTRACT_TOOL} {path} STUDENT.pth'


def key_group(key: str) -> str:
    """``teacher.backbone.conv1.weight`` -> ``teacher``;
    ``distiller.connectors.weak.fc.weight`` -> ``distiller.connectors``."""
    parts = key.split('.')
    depth = 2 if parts[0] in _NESTED_GROUPS and len(parts) > 2 else 1
    return '.'.join(parts[:depth])


def count_groups(keys: Iterable[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for key in keys:
        group = key_group(key)
        counts[group] = counts.get(group, 0) + 1
    return counts


def _top_groups(keys: Iterable[str]) -> List[str]:
    groups: List[str] = []
    for key in keys:
        group = key.split('.')[0]
        if group not in groups:
            groups.append(group)
    return groups


def _guess(groups: List[str]) -> str:
    if _DETECTOR_PARTS & set(groups):
        return ' (a detector or segmentor?)'
    if 'backbone' in groups and 'head' in groups:
        return ' (a plain classifier? it needs no conversion)'
    if 'teacher' in groups:
        return ' (a distillation checkpoint without its student?)'
    return ''


def _no_student_error(path: str, keys: List[str]) -> ValueError:
    groups = _top_groups(keys)
    shown = ', '.join(f'{g}.*' for g in groups[:_SHOWN_GROUPS])
    if len(groups) > _SHOWN_GROUPS:
        shown += f', ... {len(groups) - _SHOWN_GROUPS} more'
    return ValueError(f'{path} holds no student (no {_STUDENT}* keys): found '
                      f'keys {shown}{_guess(groups)}')


def split_student(state: Dict[str, torch.Tensor], mode: str = 'classifier',
                  source: str = '<state dict>'
                  ) -> Tuple['OrderedDict[str, torch.Tensor]', Dict[str, int],
                             str]:
    """Split an algorithm's state dict into the student's part and the rest.

    Args:
        state: the algorithm's state dict.
        mode: ``'classifier'`` keeps ``architecture.*`` without the prefix;
            ``'backbone'`` keeps ``architecture.backbone.*`` without
            ``architecture.backbone.``.
        source: what to call the state dict in errors.

    Returns:
        The student's state dict, the dropped keys counted by group (see
        :func:`key_group`) and the algorithm found (:data:`TEACHER_KD` or
        :data:`SELF_KD`).
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    keys = list(state)
    if not is_distillation_state(keys):
        raise _no_student_error(source, keys)
    prefix = _STUDENT + ('backbone.' if mode == 'backbone' else '')
    student = OrderedDict(
        (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
    if not student:
        found = ', '.join(f'{g}.*' for g in count_groups(keys))
        raise ValueError(f'{source}: the student has no backbone: found keys '
                         f'{found}')
    dropped = count_groups(k for k in keys if not k.startswith(prefix))
    algorithm = TEACHER_KD if 'teacher' in dropped else SELF_KD
    return student, dropped, algorithm


def extract_student(path: str, mode: str = 'classifier') -> dict:
    """The checkpoint of the student of the distillation checkpoint
    ``path``: ``{'meta': ..., 'state_dict': ...}``.

    ``meta`` records ``source`` (the absolute path), ``source_sha256``,
    ``algorithm`` (``'teacher KD'`` or ``'self-KD'``), ``mode`` and
    ``dropped`` (key group -> number of keys left out), and carries the
    source's ``dataset_meta``, ``epoch``, ``iter`` and ``experiment_name``.
    """
    state, source_meta = read_state_dict(path)
    student, dropped, algorithm = split_student(state, mode, source=path)
    meta = {
        k: source_meta[k]
        for k in _KEPT_META if k in source_meta and is_plain(source_meta[k])
    }
    meta.update(
        source=osp.abspath(path),
        source_sha256=file_sha256(path),
        algorithm=algorithm,
        mode=mode,
        dropped=dropped)
    return {'meta': meta, 'state_dict': student}


def save_student(path: str, out: str, mode: str = 'classifier') -> dict:
    """Write :func:`extract_student` of ``path`` to ``out``; returns it."""
    if osp.exists(out) and osp.exists(path) and osp.samefile(path, out):
        raise ValueError(f'refusing to overwrite the source checkpoint {path}')
    checkpoint = extract_student(path, mode)
    save_checkpoint(checkpoint, out)
    return checkpoint


__all__ = [
    'EXTRACT_TOOL', 'MODES', 'TEACHER_KD', 'SELF_KD', 'count_groups',
    'extract_student', 'extraction_command', 'is_distillation_state',
    'key_group', 'save_student', 'split_student'
]
