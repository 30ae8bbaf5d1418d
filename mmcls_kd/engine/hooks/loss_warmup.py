"""Linear warm-up of distillation losses, derived from the runner's epoch."""
from typing import List, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch import nn

from mmcls_kd.registry import HOOKS


def warmup_losses(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The modules of ``model`` that ask for a warm-up: a positive
    ``warmup_epochs`` and a ``warmup_factor`` to set."""
    if is_model_wrapper(model):
        model = model.module
    return [(name, module) for name, module in model.named_modules()
            if getattr(module, 'warmup_epochs', 0)
            and hasattr(module, 'warmup_factor')]


@HOOKS.register_module()
class DistillLossWarmupHook(Hook):
    """Set ``warmup_factor`` on every loss of the model with
    ``warmup_epochs > 0`` (:class:`~mmcls_kd.models.losses.warmup.
    WarmupMixin`: ``DKDLoss``, ``HCLLoss``) before each training epoch, to
    ``min((epoch + warmup_first_epoch) / warmup_epochs, 1)`` with
    ``epoch`` the runner's 0-based epoch.

    The factor is derived from the epoch every time instead of being
    counted, so a resumed run starts at the right value, and it is not saved
    in checkpoints. ``KDRunner`` always registers this hook. Epoch-based
    training only: an iteration-based loop never advances the epoch.
    """

    def before_train(self, runner) -> None:
        if (warmup_losses(runner.model)
                and isinstance(runner.train_loop, IterBasedTrainLoop)):
            raise ValueError(
                'the losses warm up over epochs (warmup_epochs > 0), but the '
                'training loop is iteration-based (train_cfg.by_epoch=False)'
                ', where the epoch stays 0')

    def before_train_epoch(self, runner) -> None:
        factors = []
        for name, loss in warmup_losses(runner.model):
            loss.warmup_factor = loss.warmup_factor_at(runner.epoch)
            factors.append(f'{name}={loss.warmup_factor:.4g}')
        if factors:
            runner.logger.info(f'Epoch {runner.epoch + 1}: loss warm-up '
                               'factor ' + ', '.join(factors))
