"""DOT ("DOT: A Distillation-Oriented Trainer", Zhao et al., ICCV 2023,
arXiv 2307.08436): SGD with one momentum buffer for the gradient of the task
loss and another for the gradient of the distillation loss.

MMEngine's ``OptimWrapper.update_params`` backpropagates the sum of the
losses; DOT needs the two gradients apart. A model that can give its losses
by term (:class:`~mmcls_kd.models.algorithms.TeacherDistill`, and
:class:`~mmcls_kd.engine.loss_terms.KDDistributedDataParallel` around it)
hands them to :class:`DOTOptimWrapper`.
"""
from contextlib import ExitStack, contextmanager
from typing import List, Optional

import torch
from mmengine.device import get_device
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from mmcls_kd.registry import OPTIM_WRAPPERS
from .amp import bf16_slowdown, report_amp
from .loss_scale import LossScaler
from .loss_terms import KDDistributedDataParallel, average_grads

#: What a model without its losses by term is told to use instead.
_PER_TERM_MODELS = ('a distillation algorithm with a teacher '
                    '(TeacherDistill), trained by KDRunner')


def check_base_optimizer(optimizer: torch.optim.Optimizer,
                         delta: float) -> None:
    """DOT is SGD with momentum whose task and distillation buffers run at
    ``momentum - delta`` and ``momentum + delta``: refuse any other
    optimizer, and momenta outside [0, 1)."""
    if not isinstance(optimizer, torch.optim.SGD):
        raise ValueError(
            'DOTOptimWrapper: the base optimizer must be torch.optim.SGD '
            f'with momentum, got {type(optimizer).__name__}')
    if not 0 <= delta < 1:
        raise ValueError(
            f'DOTOptimWrapper: delta must be in [0, 1), got {delta}')
    for index, group in enumerate(optimizer.param_groups):
        check_group(index, group, delta)


def check_group(index: int, group: dict, delta: float) -> None:
    """Refuse an SGD param group DOT cannot update: without momentum, with
    ``momentum -/+ delta`` outside [0, 1), Nesterov or maximising."""
    momentum = group['momentum']
    where = f'DOTOptimWrapper: SGD param group {index}'
    if momentum <= 0:
        raise ValueError(f'{where} has momentum {momentum}; DOT needs '
                         'SGD with momentum > 0')
    if not (0 <= momentum - delta and momentum + delta < 1):
        raise ValueError(
            f'{where}: momentum {momentum} -/+ delta {delta} gives the '
            f'momenta {momentum - delta:g} and {momentum + delta:g}; both '
            'must be in [0, 1) (a momentum scheduler must keep the '
            'momentum within that range too)')
    for flag in ('nesterov', 'maximize'):
        if group.get(flag):
            raise ValueError(f'{where} sets {flag}=True, which DOT does '
                             f'not define; expected {flag}=False')


def _momentum(state: dict, key: str, grad: Tensor, momentum: float,
              dampening: float) -> Tensor:
    """SGD's momentum buffer ``state[key]``: the first gradient as it is,
    then ``momentum * buffer + (1 - dampening) * grad``."""
    buffer = state.get(key)
    if buffer is None:
        buffer = state[key] = grad.detach().clone()
    else:
        buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
    return buffer


@torch.no_grad()
def dot_step(params: List[Tensor], task_grads: List[Optional[Tensor]],
             distill_grads: List[Optional[Tensor]], state: dict, *, lr: float,
             weight_decay: float, momentum: float, dampening: float,
             delta: float) -> None:
    """One DOT update of ``params`` (one SGD param group).

    As the official ``DistillationOrientedTrainer``: a parameter with both
    gradients keeps ``momentum_buffer`` at ``momentum - delta`` over the
    task gradient plus weight decay and ``momentum_kd_buffer`` at
    ``momentum + delta`` over the distillation gradient, and steps by
    ``-lr`` times each buffer, the task one first; a parameter with one
    of the two gradients keeps that buffer at the mean of the two momenta,
    with weight decay (the official code leaves the decay out of the first
    step of a parameter with a distillation gradient only). A parameter
    with neither is left alone. ``state`` is the optimizer's per-parameter
    state.
    """
    task_momentum, distill_momentum = momentum - delta, momentum + delta
    mean_momentum = (task_momentum + distill_momentum) / 2
    for param, task_grad, distill_grad in zip(params, task_grads,
                                              distill_grads):
        if task_grad is None and distill_grad is None:
            continue
        param_state = state[param]
        if task_grad is not None:
            grad = task_grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            buffer = _momentum(
                param_state, 'momentum_buffer', grad,
                task_momentum if distill_grad is not None else mean_momentum,
                dampening)
            param.add_(buffer, alpha=-lr)
        if distill_grad is not None:
            grad = distill_grad
            if task_grad is None and weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            buffer = _momentum(
                param_state, 'momentum_kd_buffer', grad,
                distill_momentum if task_grad is not None else mean_momentum,
                dampening)
            param.add_(buffer, alpha=-lr)


@OPTIM_WRAPPERS.register_module()
class DOTOptimWrapper(OptimWrapper):
    """DOT on an SGD optimizer, for any distillation config whose model
    gives its losses by term (``TeacherDistill``).

    Each step backpropagates the distillation losses (``distill.*``) and
    the task losses (the student's own, ``student.*``) apart, averages each
    gradient set over the ranks of a distributed run, and updates with
    :func:`dot_step`. The task buffer is SGD's ``momentum_buffer``, the
    distillation one ``momentum_kd_buffer``; both live in the optimizer's
    state and are saved and resumed with it. The learning rate, momentum
    and weight decay are read from the param groups at every step, so
    MMEngine's parameter schedulers drive them.

    Args:
        optimizer: ``torch.optim.SGD`` with ``momentum > 0`` (no Nesterov).
        delta (float): the task buffer runs at ``momentum - delta``, the
            distillation buffer at ``momentum + delta``. Defaults to 0.075
            (the official CIFAR-100 value).
        amp (bool): mixed precision: autocast in ``dtype``, losses scaled
            by ``loss_scale``. Defaults to False.
        dtype (str | torch.dtype, optional): autocast dtype with ``amp``;
            defaults to float16 on accelerators and bfloat16 on CPU.
        loss_scale (str | float | dict, optional): with ``amp``, as MMEngine's
            ``AmpOptimWrapper`` (see :class:`LossScaler`); defaults to
            ``'dynamic'`` for float16 and to no scaling for bfloat16.
        accumulative_counts (int): must be 1: gradient accumulation is not
            supported.
        clip_grad (dict, optional): must be None: DOT clips nothing.
    """

    takes_loss_terms = True

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 delta: float = 0.075,
                 amp: bool = False,
                 dtype=None,
                 loss_scale=None,
                 accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None) -> None:
        check_base_optimizer(optimizer, delta)
        if accumulative_counts != 1:
            raise ValueError(
                'DOTOptimWrapper does not accumulate gradients: '
                f'accumulative_counts must be 1, got {accumulative_counts}')
        if clip_grad is not None:
            raise ValueError('DOTOptimWrapper does not clip gradients (the '
                             f'official DOT does not): got clip_grad='
                             f'{clip_grad}, expected None')
        super().__init__(optimizer)
        self.delta = delta
        self.cast_dtype: Optional[torch.dtype] = None
        self.loss_scaler: Optional[LossScaler] = None
        self._device = get_device()
        if not amp:
            if dtype is not None or loss_scale is not None:
                raise ValueError('DOTOptimWrapper: dtype and loss_scale '
                                 'apply with amp=True only')
            return
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        on_cpu = self._device == 'cpu'
        self.cast_dtype = dtype or (torch.bfloat16
                                    if on_cpu else torch.float16)
        if loss_scale is None and self.cast_dtype == torch.float16:
            loss_scale = 'dynamic'
        if loss_scale is not None:
            self.loss_scaler = LossScaler(loss_scale)
        probe = on_cpu and self.cast_dtype == torch.bfloat16
        report_amp(self._device, self.cast_dtype, self.loss_scaler is not None,
                   bf16_slowdown() if probe else None)

    def check_model(self, model: nn.Module) -> None:
        """Refuse, before training, a model that cannot hand its losses
        by term."""
        module = model.module if is_model_wrapper(model) else model
        if not callable(getattr(module, 'loss_terms', None)):
            raise ValueError(
                'DOTOptimWrapper updates with the task and the distillation '
                f'gradients apart, and the model {type(module).__name__} '
                'gives one summed loss, not its losses by term; DOT needs '
                f'{_PER_TERM_MODELS}')
        if is_model_wrapper(model) and not isinstance(
                model, KDDistributedDataParallel):
            raise ValueError(
                'DOTOptimWrapper: the model wrapper '
                f'{type(model).__name__} hands the optimizer wrapper one '
                'summed loss; DOT needs KDDistributedDataParallel, the one '
                'KDRunner builds when model_wrapper_cfg is not set')

    def _refuse_summed_loss(self, *args, **kwargs):
        raise TypeError(
            'DOTOptimWrapper was handed one summed loss: DOT backpropagates '
            'the task and the distillation losses apart, which the model\'s '
            f'train_step must hand it by term; DOT needs {_PER_TERM_MODELS}')

    update_params = backward = _refuse_summed_loss

    @contextmanager
    def optim_context(self, model: nn.Module):
        with ExitStack() as stack:
            # Both backward passes are averaged over the ranks here: DDP's
            # own reduction, once per forward, is off.
            if hasattr(model, 'no_sync'):
                stack.enter_context(model.no_sync())
            if self.cast_dtype is not None:
                stack.enter_context(
                    torch.autocast(self._device, dtype=self.cast_dtype))
            yield

    def _params(self) -> List[Tensor]:
        # The optimizer's groups: MMEngine's ``param_groups`` adds a group
        # of its own (``base_param_settings``, for the logged base lr) when
        # there are several.
        return [
            p for group in self.optimizer.param_groups
            for p in group['params']
        ]

    def _backward_and_take(self, loss: Optional[Tensor],
                           **kwargs) -> List[Optional[Tensor]]:
        """The gradients of ``loss`` (scaled), averaged over the ranks, by
        parameter; the parameters' ``grad`` is left empty."""
        params = self._params()
        if loss is not None:
            if self.loss_scaler is not None:
                loss = loss * self.loss_scaler.scale
            loss.backward(**kwargs)
        average_grads(params)
        grads = [p.grad for p in params]
        for param in params:
            param.grad = None
        return grads

    def update_params_by_terms(self, task_loss: Optional[Tensor],
                               distill_loss: Optional[Tensor]) -> None:
        """One DOT step from the summed task losses and the summed
        distillation losses (None for no term of that kind)."""
        self.optimizer.zero_grad(set_to_none=True)
        distill_grads = self._backward_and_take(
            distill_loss, retain_graph=task_loss is not None)
        task_grads = self._backward_and_take(task_loss)
        self._inner_count += 1
        if self.loss_scaler is not None:
            found_inf = self.loss_scaler.unscale_(
                [g for g in task_grads + distill_grads if g is not None])
            self.loss_scaler.update(found_inf)
            if found_inf:
                return
        # Through ``self.step``: MMEngine's parameter schedulers count the
        # steps by wrapping it.
        self.step(task_grads, distill_grads)

    def step(self,
             task_grads: Optional[List[Optional[Tensor]]] = None,
             distill_grads: Optional[List[Optional[Tensor]]] = None) -> None:
        """The DOT update with the gradients of this step, by parameter
        of the param groups in order."""
        if task_grads is None or distill_grads is None:
            self._refuse_summed_loss()
        start = 0
        for index, group in enumerate(self.optimizer.param_groups):
            # Schedulers change the momentum between steps.
            check_group(index, group, self.delta)
            end = start + len(group['params'])
            dot_step(
                group['params'],
                task_grads[start:end],
                distill_grads[start:end],
                self.optimizer.state,
                lr=group['lr'],
                weight_decay=group['weight_decay'],
                momentum=group['momentum'],
                dampening=group['dampening'],
                delta=self.delta)
            start = end

    def state_dict(self) -> dict:
        # MMEngine's: the optimizer's state and, with several param groups,
        # the base settings its schedulers and logs follow.
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler = state_dict.pop('loss_scaler', None)
        if scaler is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler)
        super().load_state_dict(state_dict)
