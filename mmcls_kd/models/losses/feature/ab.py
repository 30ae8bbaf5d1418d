"""Activation boundaries (AB): MMRazor's loss with its inputs checked and
computed in float32."""
from mmrazor.models.losses import ABLoss as MMRazorABLoss
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_range, shape_of
from ..ops import compute_dtype


@MODELS.register_module()
class ABLoss(MMRazorABLoss):
    """The loss of "Knowledge Transfer via Distillation of Activation
    Boundaries Formed by Hidden Neurons" (Heo et al., AAAI 2019, arXiv
    1811.03233), Eq. 5 with the reference code's scale:

        L = loss_weight * 3 / (1000 N) * sum (rho(T) * relu(m - S)^2
                                              + (1 - rho(T)) * relu(m + S)^2)

    over all positions and channels, ``S`` the student's pre-ReLU feature
    (after its connector), ``T`` the teacher's, ``rho(T) = [T > 0]`` the
    teacher neuron's activation and ``m`` the margin. The student is pushed
    to the side of the activation boundary the teacher's neuron is on, by
    at least ``m``.

    The value is MMRazor's ``ABLoss`` (and that of the AB and CRD
    reference code, which weighs stage ``i`` of ``n`` by ``2^(i - n + 1)``:
    put it in ``loss_weight``); here the inputs are checked and half
    precision inputs are computed in float32 (MMRazor's sum of squares in
    bfloat16 keeps three digits).

    Args:
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
        margin (float): ``m``. Defaults to 1.0 (the paper's).
    """

    def __init__(self, loss_weight: float = 1.0, margin: float = 1.0) -> None:
        owner = type(self).__name__
        super().__init__(
            loss_weight=check_range(owner, 'loss_weight', loss_weight, 0),
            margin=check_range(owner, 'margin', margin, 0))

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's pre-ReLU feature after its
                connector (N, C, H, W).
            preds_T (Tensor): The teacher's pre-ReLU feature of the same
                shape; detached here.

        Returns:
            Tensor: A scalar.
        """
        if preds_S.shape != preds_T.shape or preds_S.dim() < 2:
            raise ValueError(
                f'{type(self).__name__}: the student feature '
                f'{shape_of(preds_S)} must have the shape of the teacher '
                f'feature {shape_of(preds_T)}; check the recorder sources '
                'and the connector')
        dtype = compute_dtype(preds_S, preds_T)
        return super().forward(preds_S.to(dtype), preds_T.detach().to(dtype))
