"""Single-teacher distillation with a teacher that is really frozen."""
import os.path as osp
from typing import Dict, Optional, Union

from mmengine.model import BaseModel
from mmengine.runner.checkpoint import CheckpointLoader
from mmrazor.models.algorithms import SingleTeacherDistill
from torch import nn

from mmcls_kd.registry import MODELS
from .utils import (check_same_classes, explain_missing_source,
                    student_preprocessor)

_SHOWN_KEYS = 5


def load_teacher_weights(teacher: nn.Module, checkpoint: str) -> None:
    """Load ``checkpoint`` into ``teacher`` strictly.

    Accepts a plain state dict or an MMEngine checkpoint holding one; DDP's
    ``module.`` prefix is removed. Raises with the path and the first keys
    that do not match, so a teacher never stays silently random.
    """
    is_url = checkpoint.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(osp.expanduser(checkpoint)):
        from mmcls_kd.apis.teachers import missing_teacher_hint
        raise FileNotFoundError(f'teacher_ckpt not found: {checkpoint}'
                                f'{missing_teacher_hint(checkpoint)}')
    try:
        loaded = CheckpointLoader.load_checkpoint(checkpoint, 'cpu')
    except FileNotFoundError:
        raise
    except Exception as err:
        raise RuntimeError(
            f'teacher_ckpt {checkpoint} could not be loaded: {err}') from err
    state = loaded.get('state_dict', loaded) if isinstance(loaded,
                                                           dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'teacher_ckpt {checkpoint} holds no state dict')
    state = {(k[len('module.'):] if k.startswith('module.') else k): v
             for k, v in state.items()}
    expected = teacher.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong_shape = sorted(k for k in set(expected) & set(state)
                         if tuple(expected[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong_shape:
        parts = []
        for label, keys in (('missing', missing), ('unexpected', unexpected),
                            ('wrong shape', wrong_shape)):
            if keys:
                shown = ', '.join(keys[:_SHOWN_KEYS])
                more = len(keys) - _SHOWN_KEYS
                parts.append(f'{len(keys)} {label} ({shown}'
                             f'{f", ... {more} more" if more > 0 else ""})')
        raise ValueError(
            f'teacher_ckpt {checkpoint} does not fit the teacher model: '
            + '; '.join(parts) + '. Check that the teacher config matches the '
            'checkpoint (a distillation checkpoint must first be converted).')
    teacher.load_state_dict(state, strict=True)


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
        **kwargs: passed to ``SingleTeacherDistill`` (``architecture``, ...).
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 allow_random_teacher: bool = False,
                 **kwargs) -> None:
        for key in ('teacher_trainable', 'teacher_norm_eval'):
            if kwargs.get(key, None) is not None:
                raise ValueError(f'TeacherDistill keeps the teacher frozen '
                                 f'and in eval mode; do not set {key}')
        if not teacher_ckpt and not allow_random_teacher:
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
        if teacher_ckpt:
            load_teacher_weights(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded weights.
            self.teacher._is_init = True
        self.teacher_ckpt = teacher_ckpt
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode: bool = True) -> 'TeacherDistill':
        super().train(mode)
        self.teacher.eval()
        return self
