"""CTKD's curriculum of the gradient reversal, derived from the runner's
epoch."""
from typing import List, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch import nn

from mmcls_kd.registry import HOOKS


def curriculum_modules(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The modules of ``model`` whose gradient reversal follows an epoch
    curriculum: those with a ``lambda_at(epoch)`` schedule (CTKD's
    temperature connectors)."""
    if is_model_wrapper(model):
        model = model.module
    return [(name, module) for name, module in model.named_modules()
            if callable(getattr(module, 'lambda_at', None))]


@HOOKS.register_module()
class CTKDCurriculumHook(Hook):
    """Set ``grl_lambda`` on every temperature connector of CTKD
    (:class:`~mmcls_kd.models.connectors.ctkd.CurriculumTemperature`:
    ``GlobalTemperature``, ``InstanceTemperature``) before each training
    epoch, to its ``lambda_at(epoch)`` with ``epoch`` the runner's 0-based
    epoch.

    The weight is derived from the epoch every time instead of being
    counted, so a resumed run starts at the right value, and it is not saved
    in checkpoints. ``KDRunner`` always registers this hook. Epoch-based
    training only: an iteration-based loop never advances the epoch.
    """

    def before_train(self, runner) -> None:
        if (curriculum_modules(runner.model)
                and isinstance(runner.train_loop, IterBasedTrainLoop)):
            raise ValueError(
                "CTKD's gradient reversal follows an epoch curriculum, but "
                'the training loop is iteration-based '
                '(train_cfg.by_epoch=False), where the epoch stays 0')

    def before_train_epoch(self, runner) -> None:
        weights = []
        for name, module in curriculum_modules(runner.model):
            module.grl_lambda = module.lambda_at(runner.epoch)
            weights.append(f'{name}={module.grl_lambda:.4g}')
        if weights:
            runner.logger.info(f'Epoch {runner.epoch + 1}: gradient '
                               'reversal lambda ' + ', '.join(weights))
