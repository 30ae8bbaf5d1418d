"""Single-teacher distillation with a teacher that is really frozen."""
import contextlib
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import MMLogger, print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.models.utils import add_prefix
from torch import nn

from mmcls_kd.cache import LOGITS_SOURCE, CachedTeacher, refuse_multi_view
from mmcls_kd.checkpoint import load_checkpoint
from mmcls_kd.engine.loss_terms import train_step_by_terms
from mmcls_kd.models.data_preprocessors import batch_norm_per_view
from mmcls_kd.registry import MODELS
from .teacher_input import build_teacher_input, teacher_inputs
from .utils import (check_same_classes, check_views, explain_missing_source,
                    set_channels_last, student_preprocessor,
                    timm_logit_records, to_memory_format)

#: ``teacher_autocast`` values and the dtypes they name.
AUTOCAST_DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}


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
    """A cache holds the teacher's logits of one view of each image only:
    refuse a distiller that reads several views (MLKD) or records anything
    else of the teacher (feature methods)."""
    refuse_multi_view((distiller or {}).get('distill_losses'),
                      f'teacher_cache {teacher_cache}')
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

    A teacher (or student) from timm is MMPretrain's ``TimmClassifier``
    (``dict(type='TimmClassifier', model_name=..., pretrained=True)``; timm's
    own weights count as the teacher's). Such a teacher is fed its own input
    (:mod:`~mmcls_kd.models.algorithms.teacher_input`: its
    ``pretrained_cfg``'s mean, std, channel order and size, made from the
    student's batch), and the logits of a timm model are recorded at
    ``model``, its network's output.

    Args:
        distiller (dict): config of the distiller (losses, recorders).
        teacher (dict | BaseModel): the teacher model, written inline.
        teacher_ckpt (str, optional): path or URL of the teacher's weights.
        allow_random_teacher (bool): build without ``teacher_ckpt``.
        teacher_cache (str, optional): a cache built by
            ``tools/cache_teacher.py``: the teacher is not built and its
            logits are read from there (logit methods only).
        teacher_input (dict, optional): for a timm teacher, what overrides
            its ``pretrained_cfg`` (``input_size``, ``interpolation``,
            ``mean``, ``std``, ``use_test_size``) and the student's channel
            order (``student_channel_order``: 'rgb'/'bgr'; by default
            'rgb' when the student's preprocessor has ``to_rgb=True``).
        teacher_autocast (str, optional): run the teacher under autocast in
            this dtype (``'float16'`` or ``'bfloat16'``) while the student
            keeps its own precision; what it records is cast back to
            float32. Defaults to None (the student's precision).
        channels_last (bool): keep the student's and the teacher's weights
            and the input batch in ``torch.channels_last`` memory format
            (faster convolutions on tensor-core GPUs). Defaults to False.
        teacher_compile (bool | dict): run the teacher through
            ``torch.compile`` (a dict gives its keyword arguments). The
            compiled call runs outside the recorders, whose hooks would
            break or recompile its graph, so the teacher may be recorded at
            its logits (``head.fc``) only; a compilation that fails falls
            back to the eager teacher with a warning. Defaults to False.
        **kwargs: passed to ``SingleTeacherDistill`` (``architecture``, ...).
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 allow_random_teacher: bool = False,
                 teacher_cache: Optional[str] = None,
                 teacher_input: Optional[dict] = None,
                 teacher_autocast: Optional[str] = None,
                 channels_last: bool = False,
                 teacher_compile: Union[bool, dict] = False,
                 **kwargs) -> None:
        if teacher_autocast not in (None, *AUTOCAST_DTYPES):
            raise ValueError(
                'TeacherDistill: teacher_autocast must be None or one of '
                f'{sorted(AUTOCAST_DTYPES)}, got {teacher_autocast!r}')
        for key in ('teacher_trainable', 'teacher_norm_eval'):
            if kwargs.get(key, None) is not None:
                raise ValueError(f'TeacherDistill keeps the teacher frozen '
                                 f'and in eval mode; do not set {key}')
        # timm loads its own weights (pretrained=True, checkpoint_path).
        timm_weights = isinstance(teacher, dict) and bool(
            teacher.get('pretrained') or teacher.get('checkpoint_path'))
        if teacher_cache:
            check_cacheable(distiller, teacher_cache)
            teacher = CachedTeacher(teacher_cache)
        elif isinstance(teacher, dict):
            # Built apart, without drawing from the global generator: the
            # student then starts from the same weights whether the teacher
            # runs or is read from a cache.
            with torch.random.fork_rng(devices=[]):
                teacher = MODELS.build(teacher)
        if not (teacher_ckpt or allow_random_teacher or teacher_cache
                or timm_weights):
            raise ValueError(
                'TeacherDistill: teacher_ckpt is not set, so the teacher '
                'would keep random weights. Set model.teacher_ckpt to the '
                "teacher's checkpoint, or pretrained=True for a timm teacher "
                '(allow_random_teacher=True is for tests only).')
        kwargs = student_preprocessor(kwargs)
        distiller = timm_logit_records(distiller, kwargs.get('architecture'),
                                       teacher)
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
        check_views(self.distiller, self.data_preprocessor)
        self.teacher_input = None if teacher_cache else build_teacher_input(
            self.data_preprocessor, self.teacher, teacher_input)
        if self.teacher_input is not None:
            print_log(f'Teacher input: {self.teacher_input.description}',
                      logger='current')
        if teacher_ckpt and not teacher_cache:
            load_teacher_weights(self.teacher, teacher_ckpt)
            # Keep ``init_weights`` from overwriting the loaded weights.
            self.teacher._is_init = True
        # A cached teacher has no weights of its own to record or restore.
        self.teacher_ckpt = None if teacher_cache else teacher_ckpt
        self.teacher_cache = teacher_cache
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.teacher_autocast = teacher_autocast
        self.channels_last = channels_last
        if channels_last:
            set_channels_last(self.student)
            set_channels_last(self.teacher)
        self.teacher_compile = teacher_compile
        self._compiled = None
        if teacher_compile and not teacher_cache:
            # Not a submodule: the teacher's weights stay under ``teacher.``
            # only, in state dicts and checkpoints.
            object.__setattr__(self, '_compiled',
                               self._compile(teacher_compile))

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        return super().forward(
            to_memory_format(inputs, self.channels_last), data_samples, mode)

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

    def _compile(self, options: Union[bool, dict]):
        recorders = self.distiller.teacher_recorders.recorders
        others = sorted(f'{name} ({recorder.source})'
                        for name, recorder in recorders.items()
                        if recorder.source != LOGITS_SOURCE
                        or type(recorder).__name__ != 'ModuleOutputsRecorder')
        if others:
            raise ValueError(
                'TeacherDistill: teacher_compile runs the teacher outside '
                'its recorders, so it may be recorded at its logits '
                f'({LOGITS_SOURCE}, ModuleOutputs) only; this distiller also '
                f'records {", ".join(others)}')
        options = options if isinstance(options, dict) else {}
        return torch.compile(self.teacher, **options)

    def run_teacher(self,
                    inputs: torch.Tensor,
                    data_samples: Optional[List[BaseDataElement]] = None,
                    mode: str = 'tensor'):
        """The teacher's output as training, the teacher-once validation and
        the cache builder all get it: on its own input (a timm teacher's,
        :func:`~mmcls_kd.models.algorithms.teacher_input.teacher_inputs`),
        without autograd, in the model's memory format and the teacher's
        autocast, compiled when asked (in ``mode='tensor'``).
        """
        inputs = to_memory_format(teacher_inputs(self, inputs),
                                  self.channels_last)
        dtype = AUTOCAST_DTYPES.get(self.teacher_autocast)
        # Without the switch the teacher keeps the student's precision:
        # under --amp it runs in the run's autocast, as before.
        precision = contextlib.nullcontext() if dtype is None else \
            torch.autocast(inputs.device.type, dtype=dtype)
        with torch.no_grad(), precision:
            if self._compiled is not None and mode == 'tensor':
                return self._run_compiled(inputs, data_samples)
            return self.teacher(inputs, data_samples, mode=mode)

    def _run_compiled(self, inputs, data_samples):
        try:
            return self._compiled(inputs, data_samples, mode='tensor')
        except Exception as err:  # what torch.compile raises varies
            MMLogger.get_current_instance().warning(
                'TeacherDistill: torch.compile of the teacher failed '
                f'({type(err).__name__}: {str(err).splitlines()[0][:200]}); '
                'the teacher runs eagerly')
            self._compiled = None
            return self.teacher(inputs, data_samples, mode='tensor')

    def _teacher_to_float(self) -> None:
        """Cast what the teacher's recorders hold back to float32 after an
        autocast teacher: the losses meet the student's float32 outputs."""
        for recorder in self.distiller.teacher_recorders.recorders.values():
            buffer = recorder.data_buffer
            buffer[:] = [_to_float(item) for item in buffer]

    def _student_views(self):
        """The student's batch normalisation per view on a batch of several
        views of each image (``MultiViewDataPreprocessor``, whose training
        batches are the only ones a loss sees), unless it says
        ``batch_norm='joint'``."""
        views = getattr(self.data_preprocessor, 'num_views', 1)
        if views > 1 and getattr(self.data_preprocessor, 'batch_norm',
                                 None) == 'per_view':
            return batch_norm_per_view(self.student, views)
        return contextlib.nullcontext()

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List[BaseDataElement]] = None) -> dict:
        """MMRazor's loss with the teacher run by :meth:`run_teacher`: in
        ``mode='tensor'`` (no unused teacher cross-entropy), without
        autograd, in its autocast and memory format."""
        losses = dict()
        recorders = self.distiller.teacher_recorders
        # A compiled teacher runs before its recorders record (their hooks
        # would break or recompile its graph); its logits, the one record it
        # may have, are handed to them after.
        compiled = self._compiled is not None
        if compiled:
            logits = self.run_teacher(batch_inputs, data_samples)
        self.distiller.set_deliveries_override(False)
        with recorders, self.distiller.deliveries:
            if compiled:
                for recorder in recorders.recorders.values():
                    recorder.data_buffer.append(logits)
            else:
                self.run_teacher(batch_inputs, data_samples)
            if self.teacher_autocast:
                self._teacher_to_float()
        self.distiller.set_deliveries_override(True)
        with self.distiller.student_recorders, self.distiller.deliveries, \
                self._student_views():
            if self.calculate_student_loss:
                losses.update(
                    add_prefix(
                        self.student(batch_inputs, data_samples, mode='loss'),
                        'student'))
            else:
                with torch.set_grad_enabled(self.student_trainable):
                    self.student(batch_inputs, data_samples, mode='loss')
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(),
                           'distill'))
        return losses


def _to_float(item):
    if isinstance(item, torch.Tensor) and item.is_floating_point():
        return item.float()
    if isinstance(item, (tuple, list)):
        return type(item)(_to_float(x) for x in item)
    return item
