"""Registries of the ``mmcls_kd`` scope.

One rule decides each parent: a config names the things it takes from the
parent scope without a prefix.

* Models, data, evaluation, visualisation, hooks and optimisation are children
  of MMPretrain's registries, so the student and teacher configs of
  MMPretrain's ``_base_`` files build unchanged (``ImageClassifier``,
  ``ResNet``, ``Mixup``, ``Accuracy``, ...).
* Recorders (``TASK_UTILS``) and loops are children of MMRazor's, so
  ``ModuleOutputs`` and ``SingleTeacherDistillValLoop`` need no prefix.
* A name that lives in a sibling scope takes that scope as a prefix, e.g.
  ``mmrazor.ConfigurableDistiller`` or ``mmrazor.KLDivergence`` for models.
"""
# Importing ``mmcls_kd`` (the parent package, imported before this module)
# has applied ``mmcls_kd.compat``, which MMRazor needs before its import.
# The parents' own components must be registered before a child looks a name
# up in them: MMRazor has no lazy import locations, MMPretrain's cover only
# some registries.
import mmpretrain.datasets  # noqa: F401
import mmpretrain.engine  # noqa: F401
import mmpretrain.evaluation  # noqa: F401
import mmpretrain.models  # noqa: F401
import mmpretrain.visualization  # noqa: F401
import mmrazor.engine  # noqa: F401
import mmrazor.models  # noqa: F401
from mmengine.registry import Registry
from mmpretrain import registry as pretrain
from mmrazor import registry as razor

_SCOPE = 'mmcls_kd'


def _child(name: str, parent: Registry) -> Registry:
    # Importing the package registers every component of every registry.
    return Registry(name, parent=parent, scope=_SCOPE, locations=['mmcls_kd'])


MODELS = _child('model', pretrain.MODELS)
MODEL_WRAPPERS = _child('model_wrapper', pretrain.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             pretrain.WEIGHT_INITIALIZERS)
DATASETS = _child('dataset', pretrain.DATASETS)
DATA_SAMPLERS = _child('data sampler', pretrain.DATA_SAMPLERS)
TRANSFORMS = _child('transform', pretrain.TRANSFORMS)
METRICS = _child('metric', pretrain.METRICS)
EVALUATORS = _child('evaluator', pretrain.EVALUATORS)
VISUALIZERS = _child('visualizer', pretrain.VISUALIZERS)
VISBACKENDS = _child('vis_backend', pretrain.VISBACKENDS)
HOOKS = _child('hook', pretrain.HOOKS)
LOG_PROCESSORS = _child('log_processor', pretrain.LOG_PROCESSORS)
OPTIMIZERS = _child('optimizer', pretrain.OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', pretrain.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    pretrain.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', pretrain.PARAM_SCHEDULERS)
RUNNERS = _child('runner', pretrain.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             pretrain.RUNNER_CONSTRUCTORS)
TASK_UTILS = _child('task util', razor.TASK_UTILS)
LOOPS = _child('loop', razor.LOOPS)
