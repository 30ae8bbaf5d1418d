"""CTKD's curriculum of the gradient reversal, derived from the runner's
epoch."""
from typing import List, Tuple

from torch import nn

from mmcls_kd.registry import HOOKS
from .epoch_schedule import EpochScheduleHook


@HOOKS.register_module()
class CTKDCurriculumHook(EpochScheduleHook):
    """Set ``grl_lambda`` on every temperature connector of CTKD
    (:class:`~mmcls_kd.models.connectors.ctkd.CurriculumTemperature`:
    ``GlobalTemperature``, ``InstanceTemperature``) before each training
    epoch, to its ``lambda_at(epoch)`` (see :class:`EpochScheduleHook`).
    ``KDRunner`` always registers this hook.
    """

    attribute = 'grl_lambda'
    label = 'gradient reversal lambda'
    refusal = ("CTKD's gradient reversal follows an epoch curriculum, but "
               'the training loop is iteration-based '
               '(train_cfg.by_epoch=False), where the epoch stays 0')

    @staticmethod
    def scheduled(module: nn.Module) -> bool:
        return callable(getattr(module, 'lambda_at', None))

    @staticmethod
    def value_at(module: nn.Module, epoch: int) -> float:
        return module.lambda_at(epoch)


def curriculum_modules(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The modules of ``model`` whose gradient reversal follows an epoch
    curriculum: those with a ``lambda_at(epoch)`` schedule (CTKD's
    temperature connectors)."""
    return CTKDCurriculumHook().modules(model)
