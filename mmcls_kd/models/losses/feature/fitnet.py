"""FitNet's hint loss."""
import torch.nn as nn
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import any_batch, check_feature_shape, check_range
from ..ops import compute_dtype


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """The hint loss of "FitNets: Hints for Thin Deep Nets" (Romero et al.,
    ICLR 2015, arXiv 1412.6550): the squared L2 distance between
    the teacher's hint layer and the student's guided layer after its
    regressor (a connector, :class:`~mmcls_kd.models.connectors.
    FitNetRegressor`).

    As the CRD benchmark code computes it (RepDistiller's ``HintLoss``, an
    ``nn.MSELoss``), the squared differences are averaged over every
    element, ``loss_weight * mean((r(S) - T)^2)``, rather than halved and
    summed as in the paper; its CIFAR-100 runs weigh it 100 next to a
    cross-entropy of weight 1, in one stage (no separate hint training).

    MMRazor's ``L2Loss(normalize=False, div_element=True)`` has the same
    value in float32, but sums the squares in the input's precision (a
    float16 sum overflows to inf on ordinary feature maps), returns half
    precision, and broadcasts a teacher feature of another shape instead of
    refusing it.

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_range(
            type(self).__name__, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's guided feature after the
                regressor, of the teacher feature's shape.
            preds_T (Tensor): The teacher's hint feature; detached here.

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        check_feature_shape(owner, 'preds_T', preds_T, any_batch(preds_T))
        check_feature_shape(owner, 'preds_S (the regressed student feature)',
                            preds_S, tuple(preds_T.shape))
        dtype = compute_dtype(preds_S, preds_T)
        difference = preds_S.to(dtype) - preds_T.detach().to(dtype)
        return difference.square().mean() * self.loss_weight
