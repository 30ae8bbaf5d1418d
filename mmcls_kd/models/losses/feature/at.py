"""Attention transfer (AT)."""
import torch
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_feature_shape, check_range
from ..ops import compute_dtype, unit_vectors


def attention_map(feature: Tensor, p: float) -> Tensor:
    """The activation-based spatial attention of AT: ``mean_c |A_c|^p`` at
    each position, flattened and L2-normalised per sample, (N, H * W). A
    map that is zero everywhere stays zero (with zero gradient)."""
    energy = feature.abs().pow(p).mean(dim=1).flatten(1)
    return unit_vectors(energy, dim=1)


@MODELS.register_module()
class ATLoss(nn.Module):
    """The attention transfer loss of "Paying More Attention to Attention:
    Improving the Performance of Convolutional Neural Networks via
    Attention Transfer" (Zagoruyko and Komodakis, ICLR 2017, arXiv
    1612.03928), at one pair of feature maps of the same spatial
    size:

        loss_weight * mean_{n, j} (Q_S[n, j] / ||Q_S[n]|| -
                                   Q_T[n, j] / ||Q_T[n]||)^2

    with ``Q[n, j] = mean_c |A[n, c, j]|^p`` over the channels at position
    ``j``. The paper writes the p-norm of the difference; its code (and the
    CRD benchmark code, which weighs each stage 1000) averages the squared
    difference over the batch and the positions, as here.

    MMRazor's ``ATLoss`` (p = 2) has the same value in float32, but squares
    the features in the input's precision (float16 features above 256
    overflow, and the loss is NaN), returns half precision, checks no shape
    and its normalisation has a gradient of 1 / eps at an all-zero map.

    Args:
        p (float): The exponent of the attention map. Defaults to 2.0 (the
            paper's and the benchmark's).
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, p: float = 2.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.p = check_range(owner, 'p', p, 0, low_open=True)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's feature map (N, C_S, H, W).
            preds_T (Tensor): The teacher's feature map (N, C_T, H, W);
                detached here.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        check_feature_shape(owner, 'preds_T', preds_T, (None, ) * 4)
        batch, _, height, width = preds_T.shape
        check_feature_shape(owner, 'preds_S', preds_S,
                            (batch, None, height, width))
        dtype = compute_dtype(preds_S, preds_T)
        with torch.autocast(preds_S.device.type, enabled=False):
            student = attention_map(preds_S.to(dtype), self.p)
            teacher = attention_map(preds_T.detach().to(dtype), self.p)
            loss = (student - teacher).square().mean()
        return loss * self.loss_weight
