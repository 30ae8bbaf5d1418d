"""CTKD's learnable temperature ("Curriculum Temperature for Knowledge
Distillation", Li et al., AAAI 2023, arXiv 2211.16231): a temperature
module behind a gradient reversal layer whose weight follows a curriculum.
"""
import math
import warnings
from functools import partial
from typing import Callable, Optional

import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor, nn

from mmcls_kd.models.losses.checks import (check_count, check_logits,
                                           check_range)
from mmcls_kd.registry import MODELS


class GradientReversal(torch.autograd.Function):
    """The gradient reversal layer of "Unsupervised Domain Adaptation by
    Backpropagation" (Ganin and Lempitsky, arXiv 1409.7495): the identity
    forward, the gradient times ``-lambda_`` backward."""

    @staticmethod
    def forward(ctx, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor):
        return -ctx.lambda_ * grad, None


def reverse_gradient(x: Tensor, lambda_: float) -> Tensor:
    """``x`` unchanged; its gradient is multiplied by ``-lambda_``."""
    return GradientReversal.apply(x, lambda_)


class CurriculumTemperature(BaseConnector):
    """What CTKD's two temperature modules share: the temperature's range
    and the curriculum of the gradient reversal.

    The module predicts an unbounded value ``t``; the temperature is
    ``tau_min + tau_range * sigmoid(t)`` (the official code's
    ``t_start + t_end * sigmoid(t)``), so it stays in ``(tau_min, tau_min +
    tau_range)``. A gradient reversal layer between ``t`` and the loss makes
    the module maximise the distillation loss the student minimises; its
    weight ``lambda`` grows over the first ``curriculum_epochs`` epochs
    (the paper's Eq. 11, as the authors' write-up numbers it)::

        lambda_n = lambda_min + (lambda_max - lambda_min) / 2
                   * (1 + cos((1 + min(n, E) / E) * pi))

    from ``lambda_min`` at ``n = 0`` to ``lambda_max`` at ``n = E``, with
    ``E = curriculum_epochs`` and ``n`` the epoch in the convention of
    ``first_epoch``: the official code counts epochs from 1, so its first
    epoch already has ``lambda_1 > lambda_min``. The module does not count
    epochs: :class:`~mmcls_kd.engine.hooks.CTKDCurriculumHook` (always on in
    ``KDRunner``) sets ``grl_lambda`` from the runner's epoch before each
    training epoch, so a resumed run continues the curriculum where it
    stopped. Until something sets it, ``lambda_max`` is used, with a
    warning.

    The official code writes the same schedule with the sign inside: its
    ``CosineDecay(max_value=0, min_value=-1)`` (``--decay_max 0
    --decay_min -1``) goes from 0 to -1, and its reversal layer multiplies
    the gradient by that value, i.e. by ``-lambda_n`` here.

    Args:
        tau_min (float): The lowest temperature. Defaults to 1.0 (the
            official ``--t_start``).
        tau_range (float): The width of the temperature's range. Defaults
            to 20.0 (the official ``--t_end``).
        lambda_min (float): The reversal weight at the start. Defaults to
            0.0 (the paper).
        lambda_max (float): The reversal weight from ``curriculum_epochs``
            on. Defaults to 1.0 (the paper).
        curriculum_epochs (int): ``E``, the epochs over which ``lambda``
            grows. Defaults to 10 (the official CIFAR-100 script's
            ``--decay_loops``; its ImageNet script uses 5).
        first_epoch (int): The number of the runner's first epoch in the
            schedule: 1 (the official code) or 0. Defaults to 1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 tau_min: float = 1.0,
                 tau_range: float = 20.0,
                 lambda_min: float = 0.0,
                 lambda_max: float = 1.0,
                 curriculum_epochs: int = 10,
                 first_epoch: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        positive = dict(low=0, low_open=True)
        self.tau_min = check_range(owner, 'tau_min', tau_min, **positive)
        self.tau_range = check_range(owner, 'tau_range', tau_range, **positive)
        self.lambda_min = check_range(owner, 'lambda_min', lambda_min, 0)
        self.lambda_max = check_range(owner, 'lambda_max', lambda_max,
                                      self.lambda_min)
        self.curriculum_epochs = check_count(owner, 'curriculum_epochs',
                                             curriculum_epochs, 1)
        if first_epoch not in (0, 1):
            raise ValueError(f'{owner}: first_epoch must be 0 or 1, got '
                             f'{first_epoch!r}')
        self.first_epoch = first_epoch
        self._grl_lambda: Optional[float] = None

    def lambda_at(self, epoch: int) -> float:
        """The reversal weight during the runner's 0-based ``epoch``."""
        n = min(epoch + self.first_epoch, self.curriculum_epochs)
        ramp = 0.5 * (1 + math.cos((1 + n / self.curriculum_epochs) * math.pi))
        return self.lambda_min + (self.lambda_max - self.lambda_min) * ramp

    @property
    def grl_lambda(self) -> float:
        """The reversal weight set by the curriculum hook; ``lambda_max``
        until then."""
        if self._grl_lambda is None:
            warnings.warn(
                f'{type(self).__name__}: nothing has set grl_lambda (KDRunner'
                ' adds CTKDCurriculumHook; with another runner add it to '
                'custom_hooks), so the gradient reversal runs at lambda_max='
                f'{self.lambda_max:g} without its curriculum')
            return self.lambda_max
        return self._grl_lambda

    @grl_lambda.setter
    def grl_lambda(self, value: float) -> None:
        self._grl_lambda = float(value)

    def bounded(self, t: Tensor) -> Tensor:
        """The temperature of the module's output ``t``, behind the gradient
        reversal."""
        t = reverse_gradient(t, self.grl_lambda)
        return self.tau_min + self.tau_range * torch.sigmoid(t)


@MODELS.register_module()
class GlobalTemperature(CurriculumTemperature):
    """CTKD's global temperature: one learnable value for every sample,
    the paper's main variant (the official ``Global_T``).

    Its output is the temperature, a (1,) tensor; the record the connector
    is applied to is not read (MMRazor hands every connector a record, and
    the official module likewise ignores its two inputs). The value starts
    at 1, as in the official code: ``tau = 1 + 20 * sigmoid(1) = 15.6``.

    Args:
        **kwargs: The range and curriculum, see
            :class:`CurriculumTemperature`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.raw_tau = nn.Parameter(torch.ones(1))

    def forward_train(self, feature: object) -> Tensor:
        return self.bounded(self.raw_tau)


@MODELS.register_module()
class InstanceTemperature(CurriculumTemperature):
    """CTKD's instance-wise temperature: a two-layer MLP over each sample's
    concatenated teacher and student logits predicts that sample's
    temperature.

    The paper gives the MLP two layers (two 1x1 convolutions in the
    authors' write-up, ``chinese_interpertation.html`` of the official
    repository; on a vector they are linear layers) and no width; the
    official implementation is not in the repository, only behind a
    download link. Here: linear, ReLU, linear, ``hidden_channels`` wide.
    The logits enter the MLP detached: the temperature's gradient trains the
    MLP, not the networks whose logits it reads.

    MMRazor hands a connector one record: applied to the teacher's logits,
    this connector returns the temperature as a function of the student's
    logits, which :class:`~mmcls_kd.models.losses.CTKDLoss` calls with its
    ``preds_S``.

    Args:
        num_classes (int): Classes of the logits; the MLP reads twice as
            many values.
        hidden_channels (int): Width of the hidden layer. Defaults to 256
            (a guess: no public source states it).
        **kwargs: The range and curriculum, see
            :class:`CurriculumTemperature`.
    """

    def __init__(self,
                 num_classes: int,
                 hidden_channels: int = 256,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.num_classes = check_count(owner, 'num_classes', num_classes, 1)
        hidden_channels = check_count(owner, 'hidden_channels',
                                      hidden_channels, 1)
        self.mlp = nn.Sequential(
            nn.Linear(2 * self.num_classes, hidden_channels), nn.ReLU(),
            nn.Linear(hidden_channels, 1))

    def forward_train(self, preds_T: Tensor) -> Callable[[Tensor], Tensor]:
        return partial(self.temperatures, preds_T=preds_T)

    def temperatures(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The temperature of each sample, (N,), from the student's and the
        teacher's logits, (N, C) each."""
        owner = type(self).__name__
        check_logits(owner, preds_S, preds_T, 'preds_T')
        if preds_S.shape[1] != self.num_classes:
            raise ValueError(
                f'{owner}: num_classes is {self.num_classes}, but the logits '
                f'have {preds_S.shape[1]} classes (preds_S '
                f'{tuple(preds_S.shape)})')
        inputs = torch.cat([preds_T, preds_S], dim=1).detach()
        t = self.mlp(inputs.to(self.mlp[0].weight.dtype))
        return self.bounded(t.squeeze(1))
