"""Curriculum Temperature for Knowledge Distillation (CTKD): KD at a
temperature the distiller learns."""
from typing import Callable, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_range, check_teacher, shape_of, value_check
from .ops import compute_dtype, kl_rows

#: What the temperature connectors hand the loss: a tensor, or (the
#: instance-wise temperature, which reads the student's logits as well) a
#: function of the student's logits that returns one.
Temperature = Union[Tensor, Callable[[Tensor], Tensor]]


def ctkd_loss(preds_S: Tensor, preds_T: Tensor, temperature: Tensor) -> Tensor:
    """The KD loss of each sample at a given temperature, the distillation
    loss of "Curriculum Temperature for Knowledge Distillation" (Li et al.,
    AAAI 2023, arXiv 2211.16231)::

        L_i = tau_i^2 * KL(softmax(z_t,i / tau_i) || softmax(z_s,i / tau_i))

    with one ``tau`` for the batch (CTKD's global temperature) or one per
    sample (its instance-wise temperature). The gradient reaches
    ``temperature`` through both the softmaxes and the ``tau^2`` factor, as
    in the official code. Teacher logits are detached; half-precision inputs
    are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C).
        preds_T (Tensor): Teacher logits, (N, C).
        temperature (Tensor): Positive temperatures, () or (1,) for one,
            (N,) for one per sample.

    Returns:
        Tensor: The loss of each sample, (N,).
    """
    dtype = compute_dtype(preds_S, preds_T, temperature)
    tau = temperature.to(dtype).reshape(-1, 1)
    student = F.log_softmax(preds_S.to(dtype) / tau, dim=1)
    teacher = F.log_softmax(preds_T.detach().to(dtype) / tau, dim=1)
    return kl_rows(student, teacher) * tau.squeeze(1).square()


def check_temperature(owner: str, temperature: Tensor,
                      preds_S: Tensor) -> None:
    """Check one temperature or one per sample of ``preds_S``, all finite
    and positive."""
    num_samples = preds_S.shape[0]
    if not (isinstance(temperature, Tensor)
            and temperature.is_floating_point() and temperature.dim() <= 1
            and temperature.numel() in (1, num_samples)):
        got = shape_of(temperature)
        if isinstance(temperature, Tensor):
            got = f'{got} {temperature.dtype}'
        raise ValueError(
            f'{owner}: temperature must be a float tensor of the shape (), '
            f'(1,) or ({num_samples},) for preds_S {shape_of(preds_S)}, got '
            f'{got}')
    values = temperature.detach()
    if value_check(~(torch.isfinite(values) & (values > 0))):
        raise ValueError(f'{owner}: temperature must be finite and > 0, got '
                         f'values in [{float(values.min()):.4g}, '
                         f'{float(values.max()):.4g}]')


@MODELS.register_module()
class CTKDLoss(nn.Module):
    """The distillation loss of CTKD ("Curriculum Temperature for Knowledge
    Distillation", Li et al., AAAI 2023, arXiv 2211.16231):
    :func:`ctkd_loss`, Hinton's KD at the temperature the distiller's
    temperature connector predicts, averaged over the batch, times
    ``loss_weight``. The head's cross-entropy is not part of it.

    The temperature is an input, not a part of the loss: it comes from
    :class:`~mmcls_kd.models.connectors.GlobalTemperature` or
    :class:`~mmcls_kd.models.connectors.InstanceTemperature` through the
    loss's ``temperature`` mapping, and those connectors reverse its
    gradient, so that the student minimises this loss while the
    temperature maximises it.

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                temperature: Temperature) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C).
            preds_T (Tensor): Teacher logits, (N, C); detached here.
            temperature (Tensor | Callable): The temperature: a tensor of
                the shape (), (1,) or (N,), or a function of ``preds_S``
                that returns one (``InstanceTemperature``'s output).

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_teacher(owner, preds_S, preds_T)
        if callable(temperature):
            temperature = temperature(preds_S)
        check_temperature(owner, temperature, preds_S)
        loss = ctkd_loss(preds_S, preds_T, temperature)
        return loss.mean() * self.loss_weight
