"""Factor transfer (FT): MMRazor's loss, with the factor of the CRD
benchmark code as an option."""
import torch.nn.functional as F
from mmrazor.models.losses import FTLoss as MMRazorFTLoss
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_range, shape_of
from ..ops import compute_dtype


@MODELS.register_module()
class FTLoss(MMRazorFTLoss):
    """The factor-transfer loss of "Paraphrasing Complex Network: Network
    Compression via Factor Transfer" (Kim et al., NeurIPS 2018, arXiv
    1802.04977), Eq. 4 with p = 1, averaged over the elements:

        L = loss_weight * mean | F_S / ||F_S||_2 - F_T / ||F_T||_2 |

    ``F_S`` the student's factor (its feature through the translator),
    ``F_T`` the teacher's factor (its feature through the paraphraser's
    encoder), each normalised per sample.

    With ``pool_channels=False`` the factor is the whole (C, H, W) map
    flattened: the paper's equation and MMRazor's ``FTLoss``. With
    ``pool_channels=True`` it is the channel mean of the squared factor, an
    (H, W) map, normalised: what the CRD benchmark code (RepDistiller)
    computes, whose CIFAR-100 numbers the configs of ``configs/ft`` are
    compared with. The factors must have the same (N, H, W) (and the same C
    without pooling).

    Args:
        pool_channels (bool): Compare the normalised channel means of the
            squared factors instead of the factors. Defaults to False.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 pool_channels: bool = False,
                 loss_weight: float = 1.0) -> None:
        super().__init__(
            loss_weight=check_range(
                type(self).__name__, 'loss_weight', loss_weight, 0))
        self.pool_channels = pool_channels

    def factor(self, x: Tensor) -> Tensor:
        if self.pool_channels:
            x = x.pow(2).mean(1)
        return F.normalize(x.reshape(x.shape[0], -1))

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): The student's factor (N, C, H, W).
            preds_T (Tensor): The teacher's factor; detached here.

        Returns:
            Tensor: A scalar.
        """
        fits = preds_S.dim() == 4 and preds_T.dim() == 4 and (
            preds_S.shape[:1] + preds_S.shape[2:] == preds_T.shape[:1] +
            preds_T.shape[2:]) and (self.pool_channels
                                    or preds_S.shape[1] == preds_T.shape[1])
        if not fits:
            expected = ('(N, any C, H, W) of the teacher factor'
                        if self.pool_channels else
                        'the shape of the teacher factor')
            raise ValueError(
                f'{type(self).__name__}: the student factor '
                f'{shape_of(preds_S)} must have {expected} '
                f'{shape_of(preds_T)}; check the recorder sources and the '
                "translator's out_channels")
        dtype = compute_dtype(preds_S, preds_T)
        return super().forward(preds_S.to(dtype), preds_T.detach().to(dtype))
