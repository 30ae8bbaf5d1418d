"""The model of a config, built as MMEngine's runner builds it, with or
without a checkpoint."""
import copy
from typing import Optional

from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_kd.checkpoint import load_checkpoint
from mmcls_kd.models.algorithms.utils import student_preprocessor
from mmcls_kd.registry import MODELS


def model_config(cfg: Config, student: bool = False) -> ConfigDict:
    """The model config of ``cfg`` as MMEngine's runner builds it.

    That is ``cfg.model`` with the config's top-level ``data_preprocessor``
    unless the model sets its own; a distillation algorithm hands it on to
    its student (see
    :func:`~mmcls_kd.models.algorithms.utils.student_preprocessor`).

    Args:
        cfg: a classifier or distillation config.
        student: the classifier alone: the student (``model.architecture``)
            of a distillation config with the preprocessor the algorithm
            hands it; the model itself for a classifier config.

    Raises:
        ValueError: ``student`` for a distillation config whose student is
            not written inline.
    """
    model = copy.deepcopy(cfg.model)
    preprocessor = cfg.get('data_preprocessor')
    if preprocessor is not None:
        model.setdefault('data_preprocessor', copy.deepcopy(preprocessor))
    if not student or 'architecture' not in model:
        return model
    architecture = model.architecture
    if not isinstance(architecture, dict) or 'type' not in architecture:
        raise ValueError('the config\'s model.architecture is not a model '
                         'config written inline')
    return student_preprocessor(model)['architecture']


def build_model(cfg: Config,
                checkpoint: Optional[str] = None,
                student: bool = False) -> nn.Module:
    """Build the model of ``cfg`` (see :func:`model_config`) in the config's
    default scope.

    Args:
        cfg: a classifier or distillation config.
        checkpoint: a path or URL whose weights are loaded strictly (see
            :func:`mmcls_kd.checkpoint.load_checkpoint`: one error names
            every missing, unexpected and mis-shaped key); the model is then
            in eval mode. Without one, the model is initialised
            (``init_weights``) as training starts it.
        student: build the student of a distillation config alone.
    """
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmcls_kd'):
        model = MODELS.build(model_config(cfg, student))
    if checkpoint is None:
        model.init_weights()
        return model
    load_checkpoint(
        model,
        checkpoint,
        target="the config's " + ('classifier' if student else 'model'))
    return model.eval()


__all__ = ['build_model', 'model_config']
