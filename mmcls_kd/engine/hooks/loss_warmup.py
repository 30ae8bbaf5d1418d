"""Linear warm-up of distillation losses, derived from the runner's epoch."""
from typing import List, Tuple

from torch import nn

from mmcls_kd.registry import HOOKS
from .epoch_schedule import EpochScheduleHook


@HOOKS.register_module()
class DistillLossWarmupHook(EpochScheduleHook):
    """Set ``warmup_factor`` on every loss of the model with
    ``warmup_epochs > 0`` (:class:`~mmcls_kd.models.losses.warmup.
    WarmupMixin`: ``DKDLoss``, ``HCLLoss``) before each training epoch, to
    ``min((epoch + warmup_first_epoch) / warmup_epochs, 1)`` (see
    :class:`EpochScheduleHook`). ``KDRunner`` always registers this hook.
    """

    attribute = 'warmup_factor'
    label = 'loss warm-up factor'
    refusal = ('the losses warm up over epochs (warmup_epochs > 0), but the '
               'training loop is iteration-based (train_cfg.by_epoch=False)'
               ', where the epoch stays 0')

    @staticmethod
    def scheduled(module: nn.Module) -> bool:
        return bool(getattr(module, 'warmup_epochs', 0)) and hasattr(
            module, 'warmup_factor')

    @staticmethod
    def value_at(module: nn.Module, epoch: int) -> float:
        return module.warmup_factor_at(epoch)


def warmup_losses(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The modules of ``model`` that ask for a warm-up: a positive
    ``warmup_epochs`` and a ``warmup_factor`` to set."""
    return DistillLossWarmupHook().modules(model)
