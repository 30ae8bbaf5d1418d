"""Multi-level logit distillation (MLKD)."""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import check_num_classes, check_option, check_range, \
    check_teacher
from .ops import ZSCORE_TAU, compute_dtype, kl_rows, soften, square

#: The views of each image that MLKD reads, in the order of the batch: the
#: first half of the rows is the weak view, the second the strong one.
MLKD_VIEWS = ('weak', 'strong')


class MLKDTerms(NamedTuple):
    """MLKD's three alignments of one view at one temperature.

    ``instance`` has one value per sample (N,): ``T^2`` times the KL
    divergence of the student's class probabilities from the teacher's.
    ``batch`` and ``category`` are scalars that exist for the batch only:
    the squared distance between the teacher's and the student's
    sample-by-sample (N, N) and class-by-class (C, C) products of the
    probabilities, divided by N and by C.
    """
    instance: Tensor
    batch: Tensor
    category: Tensor


def mlkd_terms(preds_S: Tensor,
               preds_T: Tensor,
               *,
               tau: float,
               zscore: bool = False) -> MLKDTerms:
    """MLKD's alignments of one view at temperature ``tau``, from
    "Multi-Level Logit Distillation" (Jin et al., CVPR 2023), as its
    official code (Jin-Ying/Multi-Level-Logit-Distillation, ``mdistiller/
    distillers/KD_ours.py``) computes them. With ``P = softmax(z / tau)``
    over the classes, (N, C) for the student and the teacher::

        instance_i = tau^2 * KL(P_T[i] || P_S[i])
        batch      = || P_T P_T^T - P_S P_S^T ||_F^2 / N
        category   = || P_T^T P_T - P_S^T P_S ||_F^2 / C

    With ``zscore=True`` the instance term is taken on standardised logits
    (logit standardisation, arXiv 2403.01427: ``tau`` is then the base
    temperature, see :func:`~.ops.soften`), and the batch and class terms
    stay on the raw logits, as the logit standardisation code's MLKD does.
    Teacher logits are detached; half-precision inputs are computed in
    float32.

    Args:
        preds_S (Tensor): Student logits of one view, (N, C).
        preds_T (Tensor): Teacher logits of the same view, (N, C).
        tau (float): Temperature.
        zscore (bool): Standardise the logits of the instance term.

    Returns:
        MLKDTerms: ``instance`` (N,), ``batch`` and ``category`` scalars.
    """
    dtype = compute_dtype(preds_S, preds_T)
    student = preds_S.to(dtype)
    teacher = preds_T.detach().to(dtype)
    mode = ZSCORE_TAU if zscore else tau
    soft_S, temperature = soften(student, mode, tau)
    soft_T, _ = soften(teacher, mode, tau)
    log_S, log_T = F.log_softmax(soft_S, dim=1), F.log_softmax(soft_T, dim=1)
    instance = kl_rows(log_S, log_T) * square(temperature)
    if zscore:
        prob_S = F.softmax(student / tau, dim=1)
        prob_T = F.softmax(teacher / tau, dim=1)
    else:
        prob_S, prob_T = log_S.exp(), log_T.exp()
    num_samples, num_classes = prob_S.shape
    # Autocast would run the products in half precision.
    with torch.autocast(prob_S.device.type, enabled=False):
        batch = (prob_T @ prob_T.t() - prob_S @ prob_S.t()).square().sum()
        category = (prob_T.t() @ prob_T - prob_S.t() @ prob_S).square().sum()
    return MLKDTerms(instance, batch / num_samples, category / num_classes)


def confidence_fractions(preds_T: Tensor) -> Tuple[Tensor, Tensor]:
    """The official code's confidence masks, as the fractions by which they
    scale the weak view's terms.

    The code keeps the samples whose teacher confidence (largest class
    probability at temperature 1) is at most the batch's median, and the
    classes whose summed probability over the batch is at most the median
    over the classes (medians interpolated as NumPy's ``percentile(.., 50)``
    does). It multiplies these masks with terms that are already averaged
    over the batch, so each mask acts as the fraction of ones it holds.

    Args:
        preds_T (Tensor): Teacher logits of the weak view, (N, C).

    Returns:
        tuple[Tensor, Tensor]: the fraction of samples and the fraction of
        classes kept, scalars in the computing dtype.
    """
    dtype = compute_dtype(preds_T)
    probs = F.softmax(preds_T.detach().to(dtype), dim=1)
    confidence = probs.amax(dim=1)
    per_class = probs.sum(dim=0)
    samples = (confidence <= confidence.quantile(0.5)).to(dtype).mean()
    classes = (per_class <= per_class.quantile(0.5)).to(dtype).mean()
    return samples, classes


def _taus(owner: str, name: str, values: Sequence[float],
          minimum: int) -> Tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, '__len__') \
            or len(values) < minimum:
        raise ValueError(f'{owner}: {name} must be a sequence of at least '
                         f'{minimum} temperatures > 0, got {values!r}')
    return tuple(
        check_range(owner, f'{name}[{i}]', value, 0, low_open=True)
        for i, value in enumerate(values))


@MODELS.register_module()
class MLKDLoss(nn.Module):
    """MLKD loss of "Multi-Level Logit Distillation" (Jin et al., CVPR
    2023), as its official code (Jin-Ying/Multi-Level-Logit-Distillation)
    sums it, on a weak and a strong augmented view of each image.

    The student and the teacher both see both views; ``preds_S`` and
    ``preds_T`` hold the weak view's rows first and the strong view's after
    (what ``MultiViewDataPreprocessor`` gives). With
    the terms of :func:`mlkd_terms` (``I`` instance, ``B`` batch, ``K``
    class) and the fractions ``m_s`` (samples) and ``m_c`` (classes) of
    :func:`confidence_fractions` taken from the teacher's weak view::

        L = sum_{T in taus}        ( m_s mean(I_T(weak)) + m_s B_T(weak)
                                     + m_c K_T(weak) )
          + sum_{T in strong_taus}  mean(I_T(strong))
          + sum_{T in repeat_weak_taus} mean(I_T(weak))

    times ``loss_weight``. The head's cross-entropy (on both views in the
    official code) is not part of it. The official code's values are the
    defaults: ``taus`` its base temperature (4 on CIFAR-100, 1 on
    ImageNet) then 3, 5, 2 and 6; its strong-view instance sum takes the
    base temperature, 3 and 5 on the strong view and 2 and 6 on the weak
    view again (``repeat_weak_taus``); it computes strong-view batch and
    class terms but leaves them out of the loss, and so does this one. Pass
    ``strong_taus=taus, repeat_weak_taus=()`` for a strong view aligned at
    every temperature.

    With ``tau='zscore'`` the instance terms are taken on standardised
    logits, every temperature being a base temperature (logit
    standardisation, arXiv 2403.01427, as its official code applies it to
    MLKD with ``taus=(2, 3, 5, 2, 6)``); the batch and class terms and the
    masks stay on the raw logits.

    Args:
        taus (Sequence[float]): Temperatures of the weak view's three
            alignments. Defaults to ``(4.0, 3.0, 5.0, 2.0, 6.0)``.
        strong_taus (Sequence[float]): Temperatures of the strong view's
            instance alignment. Defaults to ``(4.0, 3.0, 5.0)``.
        repeat_weak_taus (Sequence[float]): Temperatures at which the weak
            view's instance alignment is added once more, unmasked.
            Defaults to ``(2.0, 6.0)``.
        tau (str, optional): ``'zscore'`` for logit standardisation, None
            for plain temperatures. Defaults to None.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    #: The views of each image the loss reads (see :data:`MLKD_VIEWS`):
    #: configs must give the training batch this many.
    num_views = len(MLKD_VIEWS)

    def __init__(self,
                 taus: Sequence[float] = (4.0, 3.0, 5.0, 2.0, 6.0),
                 strong_taus: Sequence[float] = (4.0, 3.0, 5.0),
                 repeat_weak_taus: Sequence[float] = (2.0, 6.0),
                 tau: Optional[str] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.taus = _taus(owner, 'taus', taus, 1)
        self.strong_taus = _taus(owner, 'strong_taus', strong_taus, 0)
        self.repeat_weak_taus = _taus(owner, 'repeat_weak_taus',
                                      repeat_weak_taus, 0)
        if tau is not None:
            check_option(owner, 'tau', tau, (ZSCORE_TAU, ))
        self.tau = tau
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (2N, C): the weak view of the
                N images, then their strong view.
            preds_T (Tensor): Teacher logits of the same rows; detached.

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_teacher(owner, preds_S, preds_T)
        check_num_classes(owner, preds_S)
        rows = preds_S.shape[0]
        if rows % self.num_views:
            views = ' and the '.join(MLKD_VIEWS)
            raise ValueError(
                f'{owner}: preds_S must hold the {views} view of each image '
                f'({self.num_views} x N rows, weak first), got {rows} rows')
        weak_S, strong_S = preds_S.chunk(self.num_views)
        weak_T, strong_T = preds_T.chunk(self.num_views)
        zscore = self.tau == ZSCORE_TAU
        samples, classes = confidence_fractions(weak_T)
        loss = 0
        for tau in self.taus:
            terms = mlkd_terms(weak_S, weak_T, tau=tau, zscore=zscore)
            loss = loss + samples * (terms.instance.mean() + terms.batch) \
                + classes * terms.category
        for tau in self.strong_taus:
            loss = loss + mlkd_terms(
                strong_S, strong_T, tau=tau, zscore=zscore).instance.mean()
        for tau in self.repeat_weak_taus:
            loss = loss + mlkd_terms(
                weak_S, weak_T, tau=tau, zscore=zscore).instance.mean()
        return loss * self.loss_weight
