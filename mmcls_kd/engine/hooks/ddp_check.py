"""Check that every DDP rank holds the same weights."""
import json
import os.path as osp
from typing import List

import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcls_kd.registry import HOOKS


def weights_fingerprint(model: torch.nn.Module) -> List[float]:
    """Two float64 reductions of all parameters: their sum and their
    position-weighted sum, which also changes when values swap.

    Buffers are left out: with MMEngine's ``broadcast_buffers=False`` each
    rank keeps BatchNorm statistics of its own data, by design.
    """
    total = torch.zeros((), dtype=torch.float64)
    weighted = torch.zeros((), dtype=torch.float64)
    for i, param in enumerate(model.parameters()):
        values = param.detach().double().flatten().cpu()
        total += values.sum()
        positions = torch.arange(1, values.numel() + 1, dtype=torch.float64)
        weighted += (i + 1) * (values * positions).sum()
    return [total.item(), weighted.item()]


@HOOKS.register_module()
class DDPWeightsCheckHook(Hook):
    """After training (and every ``interval`` iterations if set), gather a
    fingerprint of the model from every rank, write them to
    ``ddp_weights_check.json`` in the work dir and stop with an error naming
    the ranks when they differ: diverged replicas are otherwise silent.

    Args:
        interval (int): check every ``interval`` training iterations too;
            0 checks once, after training.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: int = 0) -> None:
        self.interval = interval

    def _check(self, runner, when: str) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        prints = all_gather_object(weights_fingerprint(model))
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, 'ddp_weights_check.json'),
                      'w') as f:
                json.dump(dict(when=when, world_size=get_world_size(),
                               fingerprints=prints), f)
        differ = [r for r, p in enumerate(prints) if p != prints[0]]
        if differ:
            raise RuntimeError(f'DDP ranks {differ} hold weights that differ '
                               f'from rank 0 at {when}: {prints}')
        runner.logger.info(f'{len(prints)} rank(s) agree on the weights '
                           f'at {when}')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.interval and self.every_n_train_iters(runner, self.interval):
            self._check(runner, f'iteration {runner.iter + 1}')

    def after_train(self, runner) -> None:
        self._check(runner, 'the end of training')
