"""Variational information distillation (VID)."""
from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_feature_shape, check_range, shape_of
from ..ops import compute_dtype


@MODELS.register_module()
class VIDLoss(nn.Module):
    """The loss of "Variational Information Distillation for Knowledge
    Transfer" (Ahn et al., CVPR 2019, arXiv 1904.05835): the negative
    log-likelihood of the teacher's feature ``t`` under a Gaussian whose
    mean ``mu(s)`` is regressed from the student's feature and whose
    variance ``sigma_c^2`` is learnt per channel (both in the connector,
    :class:`~mmcls_kd.models.connectors.VIDRegressor`), without its
    constant:

        loss_weight * mean_{n, c, h, w} 1/2 ((t - mu(s))^2 / sigma_c^2
                                             + log sigma_c^2)

    averaged over every element, as the authors' code (and the CRD
    benchmark code, weight 1 per stage) computes it. MMRazor has no VID
    loss.

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Sequence[Tensor], preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Sequence[Tensor]): The connector's Gaussian: its mean,
                of the teacher feature's shape (N, C, H, W), and its
                variance per channel (C,).
            preds_T (Tensor): The teacher's feature (N, C, H, W); detached
                here.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        if not isinstance(preds_S, (list, tuple)) or len(preds_S) != 2:
            raise ValueError(
                f'{owner}: preds_S must be the (mean, variance) of a '
                f'VIDRegressor connector, got {shape_of(preds_S)}')
        mean, variance = preds_S
        check_feature_shape(owner, 'preds_T', preds_T, (None, ) * 4)
        check_feature_shape(owner, 'the regressed mean', mean,
                            tuple(preds_T.shape))
        check_feature_shape(owner, 'the variance', variance,
                            (preds_T.shape[1], ))
        dtype = compute_dtype(mean, variance, preds_T)
        variance = variance.to(dtype).view(1, -1, 1, 1)
        error = (preds_T.detach().to(dtype) - mean.to(dtype)).square()
        with torch.autocast(mean.device.type, enabled=False):
            nll = 0.5 * (error / variance + torch.log(variance))
        return nll.mean() * self.loss_weight
