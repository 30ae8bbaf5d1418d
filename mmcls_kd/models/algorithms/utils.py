"""What the distillation algorithms share."""
import copy
import difflib
from typing import Optional

import torch
from torch import nn

from .teacher_input import is_timm


def student_preprocessor(kwargs: dict) -> dict:
    """Make the student's data preprocessor the algorithm's.

    An algorithm preprocesses the batch once, for student and teacher, with
    the preprocessor it is given; MMRazor falls back to the student's only
    when none is given. MMEngine's runner hands the config's top-level
    ``data_preprocessor`` to the outer model, i.e. the algorithm, so the
    student's own preprocessor - the one that holds the batch augments
    (Mixup/CutMix) of its ``train_cfg`` - would be ignored. The top-level one
    is moved into the student's config instead (unless the student sets its
    own), and the algorithm takes the student's.
    """
    kwargs = dict(kwargs)
    preprocessor = kwargs.pop('data_preprocessor', None)
    architecture = kwargs.get('architecture')
    if preprocessor is not None:
        if not isinstance(architecture, dict):
            raise ValueError(
                'data_preprocessor was given for an already built student; '
                'set it on the student instead')
        architecture = copy.deepcopy(architecture)
        architecture.setdefault('data_preprocessor', preprocessor)
        kwargs['architecture'] = architecture
    return kwargs


def explain_missing_source(algorithm, err: AssertionError) -> Exception:
    """Turn MMRazor's "<source> is not in the model." into an error that
    also lists the module names nearest to the one asked for."""
    message = str(err)
    if 'is not in the model' not in message or '"' not in message:
        return err
    source = message.split('"')[1]
    names = []
    for attr in ('architecture', 'teacher'):
        model = getattr(algorithm, attr, None)
        if model is not None:
            names += [name for name, _ in model.named_modules() if name]
    nearest = difflib.get_close_matches(source, names, n=5, cutoff=0.5)
    hint = (f'; nearest module names: {", ".join(nearest)}'
            if nearest else '')
    return ValueError(f'recorder source {source!r} is not a module of the '
                      f'model{hint}')


def classifier_classes(model) -> Optional[int]:
    """The number of classes ``model`` predicts: its head's (MMPretrain's
    classifiers, a cached teacher), its timm network's (``model.num_classes``
    of MMPretrain's ``TimmClassifier``), or None when it has neither."""
    count = getattr(getattr(model, 'head', None), 'num_classes', None)
    if count is None and is_timm(model):
        count = getattr(model.model, 'num_classes', None)
    return count


def _classes_place(model) -> str:
    if is_timm(model):
        return 'its timm network\'s model.num_classes'
    return 'its head\'s num_classes'


def check_same_classes(student, teacher) -> None:
    """A teacher predicting other classes than the student cannot teach it
    through logits; say so at build time, naming both counts."""
    counts = [classifier_classes(m) for m in (student, teacher)]
    if None not in counts and counts[0] != counts[1]:
        raise ValueError(
            f'TeacherDistill: the teacher predicts num_classes={counts[1]} '
            f'({_classes_place(teacher)}), the student num_classes='
            f'{counts[0]} ({_classes_place(student)}); logits over other '
            'classes cannot be distilled')


def _is_timm_config(model) -> bool:
    return isinstance(model, dict) and str(model.get('type', '')).split(
        '.')[-1] == 'TimmClassifier'


def timm_logit_records(distiller: dict, student, teacher) -> dict:
    """``KDDistiller``'s default records for a timm student or teacher.

    Its defaults name MMPretrain's places: logits at ``head.fc``, labels at
    the input of ``head.loss_module``. A timm network has no ``head.fc`` in
    general (``fc``, ``head``, ``head.fc``, ... by architecture), and its
    output is its logits, so the logits of a timm model are recorded at
    ``model`` (the network) and a timm student's labels at ``loss_module``.
    Records the config names itself are kept.
    """
    if not isinstance(distiller, dict) or str(distiller.get(
            'type', '')).split('.')[-1] != 'KDDistiller':
        return distiller
    from mmcls_kd.models.distillers.kd_distiller import STUDENT_RECORDERS
    timm_student = is_timm(student) or _is_timm_config(student)
    timm_teacher = is_timm(teacher) or _is_timm_config(teacher)
    sides = []
    if timm_student:
        sides.append(('student_recorders',
                      dict(logits='model', labels='loss_module')))
    if timm_student or timm_teacher:
        # KDDistiller copies the student's logits record to the teacher,
        # which names a place only a timm (or only an MMPretrain) model has.
        sides.append(('teacher_recorders', dict(
            logits='model' if timm_teacher else
            STUDENT_RECORDERS['logits']['source'])))
    distiller = copy.deepcopy(distiller)
    for key, sources in sides:
        recorders = dict(distiller.get(key) or {})
        for name, source in sources.items():
            entry = dict(recorders.get(name) or {})
            entry.setdefault('source', source)
            recorders[name] = entry
        distiller[key] = recorders
    return distiller


def set_channels_last(model: nn.Module) -> None:
    """Keep the 4-D weights of ``model`` (convolutions) in channels-last
    memory format."""
    model.to(memory_format=torch.channels_last)


def to_memory_format(inputs, channels_last: bool):
    """A 4-D image batch in channels-last memory format when asked."""
    if channels_last and isinstance(inputs, torch.Tensor) and \
            inputs.dim() == 4:
        return inputs.contiguous(memory_format=torch.channels_last)
    return inputs


def check_views(distiller, preprocessor) -> None:
    """A loss that reads several views of each image (MLKD's weak and
    strong) needs a data preprocessor that hands the model as many; say so
    at build time, naming the loss and both counts."""
    given = getattr(preprocessor, 'num_views', 1)
    for name, loss in distiller.distill_losses.items():
        views = getattr(loss, 'num_views', 1)
        if views > 1 and views != given:
            raise ValueError(
                f'{name} ({type(loss).__name__}) reads {views} views of each '
                f'training image, and the data preprocessor '
                f'({type(preprocessor).__name__}) hands the model {given}: '
                f"set data_preprocessor=dict(type='MultiViewDataPreprocessor'"
                f', num_views={views}) and a MultiView transform in the '
                'training pipeline')
