"""Single-teacher distillation with a teacher that is really frozen."""
import os.path as osp
from typing import Dict, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmrazor.models.algorithms import SingleTeacherDistill
from torch import nn

from mmcls_kd.cache import LOGITS_SOURCE, CachedTeacher
from mmcls_kd.checkpoint import load_checkpoint
from mmcls_kd.engine.loss_terms import train_step_by_terms
from mmcls_kd.registry import MODELS
from .utils import (check_same_classes, explain_missing_source,
                    student_preprocessor)


def load_teacher_weights(teacher: nn.Module, checkpoint: str) -> None:
    """Load ``checkpoint`` (a path or URL) into ``teacher`` strictly (see
    :func:`mmcls_kd.checkpoint.load_checkpoint`), so a teacher never stays
    silently random; a missing released teacher names the command that
    fetches it."""
    is_url = checkpoint.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(osp.expanduser(checkpoint)):
        from mmcls_kd.apis.teachers import missing_teacher_hint
        raise FileNotFoundError(f'teacher_ckpt not found: {checkpoint}'
                                f'{missing_teacher_hint(checkpoint)}')
    load_checkpoint(
        teacher,
        checkpoint,
        target='the teacher model',
        hint='Check that the teacher config matches the checkpoint')


def check_cacheable(distiller: dict, teacher_cache: str) -> None:
    """A cache holds the teacher's logits only: refuse a distiller that
    records anything else of the teacher (feature methods)."""
    recorders = (distiller or {}).get('teacher_recorders') or {}
    others = sorted(
        f'{name} ({recorder.get("source")})'
        for name, recorder in recorders.items()
        if recorder.get('source', LOGITS_SOURCE) != LOGITS_SOURCE)
    if others:
        raise ValueError(
            f'teacher_cache {teacher_cache}: the cache holds the teacher\'s '
            f'logits ({LOGITS_SOURCE}) only, and this distiller also records '
            f'the teacher\'s {", ".join(others)}; feature distillation '
            'runs its teacher online')


@MODELS.register_module()
class TeacherDistill(SingleTeacherDistill):
    """MMRazor's ``SingleTeacherDistill`` with a teacher that is loaded
    strictly and kept in eval mode for the whole run.

    MMRazor loads ``teacher_ckpt`` non-strictly (a mismatched teacher stays
    random with a warning) and its ``teacher_norm_eval`` only freezes
    BatchNorm; dropout and drop-path of a ViT teacher keep running. Here the
    whole teacher is in eval mode after every ``train()`` call, its
    parameters never require gradients, and a teacher without weights is
    refused unless ``allow_random_teacher=True`` (for tests only).

    Args:
        distiller (dict): config of the distiller (losses, recorders).
        teacher (dict | BaseModel): the teacher model, written inline.
        teacher_ckpt (str, optional): path or URL of the teacher's weights.
        allow_random_teacher (bool): build without ``teacher_ckpt``.
        teacher_cache (str, optional): a cache built by
            ``tools/cache_teacher.py``: the teacher is not built and its
            logits are read from there (logit methods only).
        **kwargs: passed to ``SingleTeacherDistill`` (``architecture``, ...).
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 allow_random_teacher: bool = False,
                 teacher_cache: Optional[str] = None,
                 **kwargs) -> None:
        for key in ('teacher_trainable', 'teacher_norm_eval'):
            if kwargs.get(key, None) is not None:
                raise ValueError(f'TeacherDistill keeps the teacher frozen '
                                 f'and in eval mode; do not set {key}')
        if teacher_cache:
            check_cacheable(distiller, teacher_cache)
            teacher = CachedTeacher(teacher_cache)
        elif isinstance(teacher, dict):
            # Built apart, without drawing from the global generator: the
            # student then starts from the same weights whether the teacher
            # runs or is read from a cache.
            with torch.random.fork_rng(devices=[]):
                teacher = MODELS.build(teacher)
        if not teacher_ckpt and not allow_random_teacher and not teacher_cache:
            raise ValueError(
                'TeacherDistill: teacher_ckpt is not set, so the teacher '
                'would keep random weights. Set model.teacher_ckpt to the '
                "teacher's checkpoint (allow_random_teacher=True is for "
                'tests only).')
        kwargs = student_preprocessor(kwargs)
        # The parent's loader is non-strict: load here instead.
        try:
            super().__init__(
                distiller=distiller,
                teacher=teacher,
                teacher_ckpt=None,
                teacher_trainable=False,
                teacher_norm_eval=True,
                **kwargs)
        except AssertionError as err:
            raise explain_missing_source(self, err) from err
        check_same_classes(self.student, self.teacher)
        if teacher_ckpt and not teacher_cache:
            load_teacher_weights(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded weights.
            self.teacher._is_init = True
        # A cached teacher has no weights of its own to record or restore.
        self.teacher_ckpt = None if teacher_cache else teacher_ckpt
        self.teacher_cache = teacher_cache
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def loss_terms(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
        """The task terms (the student's own losses, ``student.*``) and
        the distillation terms (``distill.*``) of a ``loss`` result, for
        an optimizer wrapper that backpropagates them apart (DOT)."""
        task = {k: v for k, v in losses.items() if k.startswith('student.')}
        distill = {
            k: v
            for k, v in losses.items() if k.startswith('distill.')
        }
        other = sorted(k for k in losses
                       if 'loss' in k and k not in task and k not in distill)
        if other:
            raise ValueError(f'TeacherDistill: the losses {other} are '
                             'neither task (student.*) nor distillation '
                             '(distill.*) terms')
        return task, distill

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        if getattr(optim_wrapper, 'takes_loss_terms', False):
            return train_step_by_terms(self, data, optim_wrapper)
        return super().train_step(data, optim_wrapper)

    def train(self, mode: bool = True) -> 'TeacherDistill':
        super().train(mode)
        self.teacher.eval()
        return self
