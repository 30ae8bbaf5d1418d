"""Normalized Knowledge Distillation (NormKD)."""
from mmcls_kd.registry import MODELS
from .kd import KDLoss
from .ops import NORM_TAU


@MODELS.register_module()
class NormKDLoss(KDLoss):
    """NormKD loss of "NormKD: Normalized Logits for Knowledge Distillation"
    (Chi et al., arXiv 2308.00520): KD with a temperature per sample and
    per model. For the logits ``z`` of sample ``i`` (teacher or student)::

        T_i = t_norm * std(z_i)
        L   = mean_i T_t,i^2 * KL(softmax(z_t,i / T_t,i)
                                  || softmax(z_s,i / T_s,i))

    The KL of each sample is weighted by the teacher's ``T_i^2`` (the
    ``tau^2`` of KD). This is what the authors' code (gizi1/NormKD,
    ``kd_loss_normal``) computes; the standard deviation is torch's default,
    unbiased one over the C classes, and gradients flow through the
    student's. Only the paper's abstract was available here, so the
    equation and the values are those of that code: ``t_norm`` 2.0 with CE
    0.1 and KD 0.9 on CIFAR-100 (its default config), 1.0 with CE 0.5 and KD
    0.5 for ImageNet ResNet-34 -> ResNet-18; a re-implementation uses 1.5.

    Equal to ``KDLoss(tau='norm', t_norm=...)``, whose per-sample values
    are ``kd_loss(..., tau='norm')``; ``DKDLoss(tau='norm')`` is NormKD
    applied to DKD (the code's ``NormKD_W_DKD``).

    Args:
        t_norm (float): ``T_norm``. Defaults to 2.0.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, t_norm: float = 2.0, loss_weight: float = 1.0) -> None:
        super().__init__(tau=NORM_TAU, t_norm=t_norm, loss_weight=loss_weight)
