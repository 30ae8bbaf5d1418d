"""Train steps that hand an optimizer wrapper the losses by term.

MMEngine's train steps sum the losses and call ``update_params`` with the
sum. An optimizer wrapper with ``takes_loss_terms = True`` (DOT's) gets the
task terms and the distillation terms apart instead, from a model with
``loss_terms`` (``TeacherDistill``), alone or in the DDP wrapper below,
which then leaves the averaging of each gradient set over the ranks to the
optimizer wrapper (:func:`average_grads`).
"""
import os
from typing import Dict, List, Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.model import MMDistributedDataParallel, is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import Tensor, nn


def _summed(module: nn.Module, terms: Dict[str, Tensor]) -> Optional[Tensor]:
    if not any('loss' in name for name in terms):
        return None
    return module.parse_losses(terms)[0]


def train_step_by_terms(model: nn.Module, data,
                        optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
    """MMEngine's train step, with the losses handed to ``optim_wrapper``
    by term. ``model`` is the algorithm or its DDP wrapper."""
    module = model.module if is_model_wrapper(model) else model
    with optim_wrapper.optim_context(model):
        data = module.data_preprocessor(data, True)
        losses = model._run_forward(data, mode='loss')
    task, distill = module.loss_terms(losses)
    _, log_vars = module.parse_losses(losses)
    optim_wrapper.update_params_by_terms(
        _summed(module, task), _summed(module, distill))
    return log_vars


class KDDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's ``MMDistributedDataParallel``, whose train step hands an
    optimizer wrapper that takes them (``DOTOptimWrapper``) the losses by
    term; any other wrapper trains as with MMEngine's. ``KDRunner`` wraps
    distributed models in it."""

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        if getattr(optim_wrapper, 'takes_loss_terms', False):
            return train_step_by_terms(self, data, optim_wrapper)
        return super().train_step(data, optim_wrapper)


def default_ddp(model: nn.Module,
                find_unused_parameters: bool) -> KDDistributedDataParallel:
    """MMEngine's default DDP wrapper (the runner's ``model_wrapper_cfg``
    unset) as a :class:`KDDistributedDataParallel`; on a CPU without
    ``device_ids``, which DDP rejects for a module on the CPU."""
    device_ids = ([int(os.environ['LOCAL_RANK'])]
                  if torch.cuda.is_available() else None)
    return KDDistributedDataParallel(
        module=model,
        device_ids=device_ids,
        broadcast_buffers=False,
        find_unused_parameters=find_unused_parameters)


def average_grads(params: List[Tensor]) -> None:
    """Average the gradients of ``params`` over the ranks, as DDP would
    (the model runs under ``no_sync``: DDP reduces once per forward, DOT
    backpropagates twice). A parameter with a gradient on some rank only
    gets zeros on the others."""
    if get_world_size() == 1:
        return
    device = params[0].device if params else 'cpu'
    present = torch.tensor([p.grad is not None for p in params],
                           dtype=torch.uint8,
                           device=device)
    torch_dist.all_reduce(present, op=torch_dist.ReduceOp.MAX)
    synced = []
    for param, anywhere in zip(params, present.tolist()):
        if anywhere and param.grad is None:
            param.grad = torch.zeros_like(param)
        if anywhere:
            synced.append(param.grad)
    if synced:
        all_reduce_params(synced, op='mean')
