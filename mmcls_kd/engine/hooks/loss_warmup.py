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
    """Set ``warmup_factor = min((epoch + 1) / warmup_epochs, 1)`` on every
    loss of the model with ``warmup_epochs > 0`` (e.g.
    :class:`DKDLoss`) before each training epoch.

    ``runner.epoch`` counts the finished epochs from 0, so the first epoch
    gets ``1 / warmup_epochs``, as DKD's code (``min(epoch / warmup, 1)``,
    epochs counted from 1) has it. The factor is derived from the epoch
    every time instead of being counted, so a resumed run starts at the
    right value, and it is not saved in checkpoints. Epoch-based training
    only: an iteration-based loop never advances the epoch.
    """

    def before_train(self, runner) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            raise ValueError(
                'DistillLossWarmupHook warms losses up over epochs, but the '
                'training loop is iteration-based (train_cfg.by_epoch=False)'
                ', where the epoch stays 0')
        if not warmup_losses(runner.model):
            runner.logger.warning(
                'DistillLossWarmupHook: no loss of the model has '
                'warmup_epochs > 0; the hook does nothing')

    def before_train_epoch(self, runner) -> None:
        factors = []
        for name, loss in warmup_losses(runner.model):
            loss.warmup_factor = min((runner.epoch + 1) / loss.warmup_epochs,
                                     1.0)
            factors.append(f'{name}={loss.warmup_factor:.4g}')
        if factors:
            runner.logger.info(f'Epoch {runner.epoch + 1}: loss warm-up '
                               'factor ' + ', '.join(factors))
