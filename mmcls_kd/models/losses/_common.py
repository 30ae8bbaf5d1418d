"""What the baseline losses (KD, DKD, WSLD, NormKD, Tf-KD, Zipf's LS) share:
teacher/student checks, target classes, temperatures and the KL divergence.
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ._utils import check_labels, check_logits

# ``tau='norm'``: NormKD's per-sample temperature (arXiv 2308.00520).
NORM_TAU = 'norm'

Temperature = Union[float, Tensor]


def check_teacher(owner: str, preds_S: Tensor, preds_T: Tensor) -> None:
    """Check (N, C) student and teacher logits of the same shape, naming
    both class counts when the two models classify into different sets."""
    if (preds_S.dim() == 2 and preds_T.dim() == 2
            and preds_S.shape[1] != preds_T.shape[1]):
        raise ValueError(
            f'{owner}: the student predicts {preds_S.shape[1]} classes and '
            f'the teacher {preds_T.shape[1]} (preds_S '
            f'{tuple(preds_S.shape)}, preds_T {tuple(preds_T.shape)}); '
            'distillation needs the same classes')
    check_logits(owner, preds_S, preds_T, 'preds_T')


def check_num_classes(owner: str, preds_S: Tensor, minimum: int = 2) -> None:
    """Methods that split the classes into target and rest need two."""
    if preds_S.shape[1] < minimum:
        raise ValueError(f'{owner}: needs at least {minimum} classes, got '
                         f'preds_S {tuple(preds_S.shape)}')


def target_index(owner: str, gt_labels: Tensor, preds_S: Tensor) -> Tensor:
    """The target class of each sample as an (N, 1) index: the label, or the
    first largest score of Mixup/CutMix labels (as the official NKD code
    takes it)."""
    if check_labels(owner, gt_labels, preds_S):
        gt_labels = gt_labels.argmax(dim=1)
    return gt_labels.long().unsqueeze(1)


def check_tau(owner: str, tau: Union[float, str], t_norm: float) -> None:
    """A fixed temperature must be positive; ``'norm'`` needs a positive
    ``t_norm``."""
    if isinstance(tau, str):
        if tau != NORM_TAU:
            raise ValueError(f'{owner}: tau must be a positive number or '
                             f'{NORM_TAU!r}, got {tau!r}')
        if not t_norm > 0:
            raise ValueError(
                f'{owner}: t_norm must be positive, got {t_norm}')
    elif not tau > 0:
        raise ValueError(f'{owner}: tau must be positive, got {tau}')


def soften(logits: Tensor, tau: Union[float, str],
           t_norm: float) -> Tuple[Tensor, Temperature]:
    """Divide logits by their temperature; return them and the temperature.

    With ``tau='norm'`` each row gets NormKD's ``T_i = t_norm * std(z_i)``
    (the unbiased standard deviation over the classes, as the official
    NormKD code computes it), returned as an (N, 1) tensor. The rows are
    centred first: softmax ignores the shift, and a row of equal logits
    (std 0) then gives zeros, i.e. the uniform distribution, not 0 / 0.
    """
    if tau != NORM_TAU:
        return logits / tau, tau
    temperature = logits.std(dim=1, keepdim=True) * t_norm
    temperature = temperature.clamp_min(torch.finfo(logits.dtype).tiny)
    centred = logits - logits.mean(dim=1, keepdim=True)
    return centred / temperature, temperature


def square(temperature: Temperature) -> Temperature:
    """``T^2`` as a per-sample (N,) weight or a number."""
    if isinstance(temperature, Tensor):
        return temperature.square().squeeze(1)
    return temperature**2


def kl_rows(log_student: Tensor, log_teacher: Tensor) -> Tensor:
    """``KL(teacher || student)`` of each row, (N,), from log-probabilities.

    Log-probabilities of classes that a row leaves out must be very negative
    but finite (see ``drop_classes``): their probability is then exactly 0
    and they add nothing.
    """
    return F.kl_div(
        log_student, log_teacher, reduction='none', log_target=True).sum(1)
