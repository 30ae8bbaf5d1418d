"""Stop a run at the first non-finite loss."""
import math

import torch
from mmengine.hooks import Hook

from mmcls_kd.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise as soon as a loss term of a training iteration is NaN or inf,
    naming the iteration and the terms, instead of training on silently.

    ``KDRunner`` adds it to every run; list it in ``custom_hooks`` to use it
    with another runner.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not outputs:
            return
        names = [name for name in outputs if 'loss' in name]
        if not names:
            return
        # One read from the device for all the terms.
        first = outputs[names[0]]
        device = first.device if isinstance(first, torch.Tensor) else 'cpu'
        numbers = torch.stack([
            torch.as_tensor(outputs[name], device=device).detach().float()
            .reshape(()) for name in names
        ]).tolist()
        bad = {
            name: number
            for name, number in zip(names, numbers)
            if not math.isfinite(number)
        }
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch '
                f'{runner.epoch + 1}): {terms}. Lower the learning rate, '
                'check the inputs, or train in fp32 to find the cause.')
