"""A value that follows the epoch, set on modules before each epoch."""
from typing import List, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch import nn


class EpochScheduleHook(Hook):
    """Set ``attribute`` on every module that :meth:`scheduled` picks, to
    :meth:`value_at` the runner's 0-based epoch, before each training epoch.

    The value is derived from the epoch every time instead of being
    counted, so a resumed run starts at the right one, and it is not saved
    in checkpoints. Epoch-based training only: an iteration-based loop never
    advances the epoch, which is refused when a module is scheduled.
    """

    #: The module attribute set, and how the log and the refusal name it.
    attribute = ''
    label = ''
    refusal = ''

    @staticmethod
    def scheduled(module: nn.Module) -> bool:
        raise NotImplementedError

    @staticmethod
    def value_at(module: nn.Module, epoch: int) -> float:
        raise NotImplementedError

    def modules(self, model: nn.Module) -> List[Tuple[str, nn.Module]]:
        if is_model_wrapper(model):
            model = model.module
        return [(name, module) for name, module in model.named_modules()
                if self.scheduled(module)]

    def before_train(self, runner) -> None:
        if (self.modules(runner.model)
                and isinstance(runner.train_loop, IterBasedTrainLoop)):
            raise ValueError(self.refusal)

    def before_train_epoch(self, runner) -> None:
        values = []
        for name, module in self.modules(runner.model):
            setattr(module, self.attribute,
                    self.value_at(module, runner.epoch))
            values.append(f'{name}={getattr(module, self.attribute):.4g}')
        if values:
            runner.logger.info(f'Epoch {runner.epoch + 1}: {self.label} ' +
                               ', '.join(values))
