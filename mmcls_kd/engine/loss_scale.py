"""Dynamic loss scaling for an update that takes more than one gradient set
per step.

``torch.amp.GradScaler`` unscales the gradients an optimizer holds, once per
step (a second ``unscale_`` of the same optimizer is an error), and decides
alone whether the step runs. DOT backpropagates two losses apart and
updates with both gradient sets; both must be unscaled with the scale they
were computed at, and an inf or NaN in either must skip the whole step.
This scaler does GradScaler's arithmetic on the gradient sets it is handed,
with GradScaler's options, defaults and ``state_dict`` keys, so a
checkpoint's ``loss_scaler`` entry loads in either.
"""
from collections import defaultdict
from typing import Dict, List, Union

import torch
from torch import Tensor

#: ``torch.amp.GradScaler``'s defaults.
SCALER_DEFAULTS = dict(
    init_scale=2.0**16,
    growth_factor=2.0,
    backoff_factor=0.5,
    growth_interval=2000)


class LossScaler:
    """A dynamic (or static) loss scale that unscales several gradient
    sets per step.

    Args:
        loss_scale: as MMEngine's ``AmpOptimWrapper``: ``'dynamic'``
            (GradScaler's defaults), a number (a static scale), or a dict of
            GradScaler's arguments ``init_scale``, ``growth_factor``,
            ``backoff_factor``, ``growth_interval`` (dynamic).
    """

    def __init__(self, loss_scale: Union[str, float, dict]) -> None:
        options = dict(SCALER_DEFAULTS)
        self.static = False
        if loss_scale == 'dynamic':
            pass
        elif isinstance(loss_scale,
                        (int, float)) and not isinstance(loss_scale, bool):
            options['init_scale'] = float(loss_scale)
            self.static = True
        elif isinstance(loss_scale, dict):
            unknown = sorted(set(loss_scale) - set(SCALER_DEFAULTS))
            if unknown:
                raise ValueError(
                    f'loss_scale takes {sorted(SCALER_DEFAULTS)}, got '
                    f'{unknown}')
            options.update(loss_scale)
        else:
            raise ValueError("loss_scale must be 'dynamic', a number or a "
                             f'dict, got {loss_scale!r}')
        if not options['init_scale'] > 0:
            raise ValueError(f'loss_scale: the scale must be > 0, got '
                             f"{options['init_scale']}")
        self.scale = float(options['init_scale'])
        self.growth_factor = float(options['growth_factor'])
        self.backoff_factor = float(options['backoff_factor'])
        self.growth_interval = int(options['growth_interval'])
        self.growth_tracker = 0

    def unscale_(self, grads: List[Tensor]) -> bool:
        """Divide ``grads`` by the scale in place; True when any of them
        holds an inf or a NaN."""
        groups: Dict[tuple, List[Tensor]] = defaultdict(list)
        for grad in grads:
            groups[(grad.device, grad.dtype)].append(grad)
        found = []
        for (device, _), group in groups.items():
            found_inf = torch.zeros(1, device=device)
            inv_scale = torch.full((1, ), 1.0 / self.scale, device=device)
            torch._amp_foreach_non_finite_check_and_unscale_(
                group, found_inf, inv_scale)
            found.append(found_inf.item())
        return any(found)

    def update(self, found_inf: bool) -> None:
        """GradScaler's rule: back off at a non-finite step, grow after
        ``growth_interval`` finite ones in a row; a static scale stays."""
        if self.static:
            return
        if found_inf:
            self.scale *= self.backoff_factor
            self.growth_tracker = 0
            return
        self.growth_tracker += 1
        if self.growth_tracker == self.growth_interval:
            self.scale *= self.growth_factor
            self.growth_tracker = 0

    def state_dict(self) -> dict:
        return dict(
            scale=self.scale,
            growth_factor=self.growth_factor,
            backoff_factor=self.backoff_factor,
            growth_interval=self.growth_interval,
            _growth_tracker=self.growth_tracker)

    def load_state_dict(self, state: dict) -> None:
        self.scale = float(state['scale'])
        self.growth_factor = float(state['growth_factor'])
        self.backoff_factor = float(state['backoff_factor'])
        self.growth_interval = int(state['growth_interval'])
        self.growth_tracker = int(state['_growth_tracker'])
