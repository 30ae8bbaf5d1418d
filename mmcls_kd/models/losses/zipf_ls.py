"""Zipf's label smoothing (Zipf's LS)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmcls_kd.registry import MODELS
from .checks import (check_labels, check_logits, check_num_classes,
                     check_option, check_range, shape_of)
from .ops import compute_dtype, drop_classes, target_index

_TIE_BREAKS = ('logit', 'min')


class PixelLogits(nn.Module):
    """Per-position logits of "Efficient One Pass Self-distillation with
    Zipf's Label Smoothing" (Liang et al., ECCV 2022, arXiv 2207.12980):
    the linear classifier of the head, applied to each position of the
    pre-pooling feature map instead of to its average.

    It holds no weights of its own: it is called with the classifier's
    weight and bias, which a distiller config records from the student
    (MMRazor's ``Parameter`` recorder on ``head.fc.weight`` and
    ``head.fc.bias``), so the positions are classified by the very layer
    that is being trained.

    Args:
        scale_factor (float, optional): Upsample the feature map by this
            factor first (the official code's ``--upsample bilinear``,
            x2, used for CIFAR-100 and Tiny-ImageNet). Defaults to None.
        mode (str): Interpolation mode of the upsampling. Defaults to
            'bilinear'.
    """

    def __init__(self,
                 scale_factor: Optional[float] = None,
                 mode: str = 'bilinear') -> None:
        super().__init__()
        if scale_factor is not None:
            scale_factor = check_range(type(self).__name__,
                                       'scale_factor',
                                       scale_factor,
                                       0,
                                       low_open=True)
        self.scale_factor = scale_factor
        self.mode = mode

    def forward(self,
                feature: Tensor,
                weight: Tensor,
                bias: Optional[Tensor] = None) -> Tensor:
        """Classify every position.

        Args:
            feature (Tensor): Feature map (N, C_feat, H, W).
            weight (Tensor): Classifier weight (C, C_feat).
            bias (Tensor, optional): Classifier bias (C,).

        Returns:
            Tensor: Logits (N, C, H', W'), H' and W' after upsampling.
        """
        owner = type(self).__name__
        if feature.dim() != 4:
            raise ValueError(f'{owner}: feature must be a feature map '
                             f'(N, C_feat, H, W), got {shape_of(feature)}')
        if weight.dim() != 2 or weight.shape[1] != feature.shape[1]:
            raise ValueError(
                f'{owner}: weight must have the shape (C, '
                f'{feature.shape[1]}) for a feature map '
                f'{shape_of(feature)}, got {shape_of(weight)}; record '
                'the map that the classifier pools')
        if bias is not None and tuple(bias.shape) != (weight.shape[0], ):
            raise ValueError(f'{owner}: bias must have the shape '
                             f'({weight.shape[0]},), got {shape_of(bias)}')
        if self.scale_factor is not None:
            feature = F.interpolate(
                feature,
                scale_factor=self.scale_factor,
                mode=self.mode,
                align_corners=False if self.mode in ('bilinear', 'bicubic')
                else None)
        # A 1x1 convolution is the linear layer at every position.
        return F.conv2d(feature, weight[:, :, None, None], bias)


def _votes(pixel_logits: Tensor) -> Tensor:
    """Per class, the number of positions whose top class it is, (N, C),
    from logits (N, C, H, W) or (N, H*W, C)."""
    if pixel_logits.dim() == 4:
        top = pixel_logits.argmax(dim=1).flatten(1)
        num_classes = pixel_logits.shape[1]
    else:
        top = pixel_logits.argmax(dim=2)
        num_classes = pixel_logits.shape[2]
    votes = top.new_zeros(top.shape[0], num_classes)
    return votes.scatter_add_(1, top, torch.ones_like(top))


def _zipf_labels(votes: Tensor, logits: Tensor, index: Tensor, power: float,
                 tie_break: str) -> Tensor:
    """``Z``: Zipf's law over the vote ranks, 0 at the target, each row
    summing to 1, (N, C)."""
    num_classes = votes.shape[1]
    if tie_break == 'logit':
        # Two stable sorts order by votes, then by logit, then by class.
        by_logit = logits.argsort(dim=1, descending=True, stable=True)
        by_votes = votes.gather(1, by_logit).argsort(
            dim=1, descending=True, stable=True)
        order = by_logit.gather(1, by_votes)
        positions = torch.arange(
            1, num_classes + 1, dtype=votes.dtype,
            device=votes.device).expand_as(votes)
        rank = torch.empty_like(votes).scatter_(1, order, positions)
    else:
        # 1 + the number of classes with more votes.
        ascending = (-votes).sort(dim=1).values.contiguous()
        rank = torch.searchsorted(ascending, -votes.contiguous()) + 1
        rank = rank.to(votes.dtype)
    zipf = rank.pow(-power).scatter(1, index, 0.0)
    return zipf / zipf.sum(dim=1, keepdim=True)


def zipf_ls_loss(preds_S: Tensor,
                 pixel_logits: Tensor,
                 gt_labels: Tensor,
                 *,
                 power: float = 1.0,
                 tie_break: str = 'logit') -> Tensor:
    """The Zipf's LS loss of each sample, from "Efficient One Pass
    Self-distillation with Zipf's Label Smoothing" (Liang et al., ECCV
    2022, arXiv 2207.12980).

    Each position of ``pixel_logits`` votes for its top class; all C
    classes are ranked by their votes, the class at rank ``r`` (1-based)
    gets ``r^-power`` (Zipf's law), the target class ``t`` is removed and
    the rest renormalised to the soft non-target label ``Z``. With ``N(S)``
    the softmax over the student's non-target logits (temperature 1)::

        L_i = sum_{k != t} Z_k (log Z_k - log N(S)_k)

    ``Z`` carries no gradient (votes are an argmax). Half-precision logits
    are computed in float32.

    Args:
        preds_S (Tensor): Student logits, (N, C) with C >= 2.
        pixel_logits (Tensor): The classifier's logits at every position,
            (N, C, H, W) or (N, H*W, C).
        gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
            (N, C) whose argmax is the target class.
        power (float): Exponent of Zipf's law. Defaults to 1.0.
        tie_break (str): Order of classes with equal votes: 'logit' (by the
            final logit, the paper) or 'min' (tied classes share the best of
            their ranks, the official code). Defaults to 'logit'.

    Returns:
        Tensor: The KL divergence of each sample, (N,).
    """
    check_option('zipf_ls_loss', 'tie_break', tie_break, _TIE_BREAKS)
    index = target_index(gt_labels)
    logits = preds_S.to(compute_dtype(preds_S))
    with torch.no_grad():
        votes = _votes(pixel_logits).to(logits.dtype)
        zipf = _zipf_labels(votes, logits.detach(), index, power, tie_break)
    log_non_target = F.log_softmax(drop_classes(logits, index), dim=1)
    # The target's Z is 0 and its log-probability finite: xlogy and the
    # product both give 0 there.
    return (torch.xlogy(zipf, zipf) - zipf * log_non_target).sum(1)


@MODELS.register_module()
class ZipfLSLoss(nn.Module):
    """Zipf's LS loss of "Efficient One Pass Self-distillation with Zipf's
    Label Smoothing" (Liang et al., ECCV 2022, arXiv 2207.12980):
    :func:`zipf_ls_loss`, the KL divergence between Zipf's soft non-target
    label ``Z`` and the student's non-target distribution, averaged over
    the correctly classified samples (or the batch), times
    ``loss_weight``. The per-position logits come from the student's
    classifier applied to every position of its last feature map
    (:class:`PixelLogits`). The head's cross-entropy is not part of the
    loss.

    Paper and official code (megvii-research/zipfls) agree on the above;
    they differ on two details, both available here:

    - Ties in the votes: broken by the final logit (the paper), or the
      official code's ``rankdata(method='min')``: tied classes share the
      best of their ranks, so all classes without a vote get the same
      label value (``tie_break='min'``).
    - Which samples: the paper applies the loss to correctly classified
      samples (argmax of the final logits is the label); the code has that
      as an option (``--mask``) whose loss is the mean over those samples
      (0 when there are none), but its published commands leave it off.

    The official loss weights (``--loss_lambda``) are 0.1 for CIFAR-100 and
    ImageNet, 1.0 for Tiny-ImageNet and iNaturalist 2021; the exponent is
    1; CIFAR and Tiny-ImageNet runs upsample the feature map x2
    (bilinear) before classifying it. Mixup/CutMix scores are reduced to
    their argmax as the target class.

    Args:
        power (float): Exponent of Zipf's law. Defaults to 1.0.
        tie_break (str): 'logit' or 'min', see above. Defaults to 'logit'.
        correct_only (bool): Average over the correctly classified samples
            only (True) or over the whole batch. Defaults to True.
        upsample_factor (float, optional): Upsampling of the feature map
            before the per-position classifier, when ``forward`` is given
            the feature map. Defaults to None.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self,
                 power: float = 1.0,
                 tie_break: str = 'logit',
                 correct_only: bool = True,
                 upsample_factor: Optional[float] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_option(owner, 'tie_break', tie_break, _TIE_BREAKS)
        self.power = check_range(owner, 'power', power, 0)
        self.tie_break = tie_break
        self.correct_only = bool(correct_only)
        if upsample_factor is not None:
            # Named as the config names it, not as PixelLogits does.
            check_range(owner,
                        'upsample_factor',
                        upsample_factor,
                        0,
                        low_open=True)
        self.pixel_logits = PixelLogits(scale_factor=upsample_factor)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)

    def forward(self,
                preds_S: Tensor,
                feat: Tensor,
                gt_labels: Tensor,
                fc_weight: Optional[Tensor] = None,
                fc_bias: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, (N, C) with C >= 2.
            feat (Tensor): Without ``fc_weight``: per-position logits,
                (N, C, H, W) or (N, H*W, C). With ``fc_weight``: the feature
                map the head pools, (N, C_feat, H, W), classified at every
                position with ``fc_weight`` and ``fc_bias``.
            gt_labels (Tensor): Class indices (N,), or Mixup/CutMix scores
                (N, C) whose argmax is taken as the target class.
            fc_weight (Tensor, optional): The head's classifier weight,
                (C, C_feat).
            fc_bias (Tensor, optional): The head's classifier bias, (C,).

        Returns:
            Tensor: A scalar, float32 for half-precision, bfloat16 and
            float32 inputs, float64 when an input is float64.
        """
        owner = type(self).__name__
        check_logits(owner, preds_S)
        check_num_classes(owner, preds_S)
        check_labels(owner, gt_labels, preds_S)
        if fc_weight is not None:
            feat = self._classify_positions(feat, fc_weight, fc_bias, preds_S)
        self._check_pixel_logits(feat, preds_S)
        kl = zipf_ls_loss(
            preds_S,
            feat,
            gt_labels,
            power=self.power,
            tie_break=self.tie_break)
        if not self.correct_only:
            return kl.mean() * self.loss_weight
        correct = preds_S.detach().to(kl.dtype).argmax(dim=1) == \
            target_index(gt_labels).squeeze(1)
        correct = correct.to(kl.dtype)
        return ((kl * correct).sum() / correct.sum().clamp_min(1) *
                self.loss_weight)

    @torch.no_grad()
    def _classify_positions(self, feat: Tensor, fc_weight: Tensor,
                            fc_bias: Optional[Tensor],
                            preds_S: Tensor) -> Tensor:
        """The classifier's logits at every position of the feature map."""
        num_classes = preds_S.shape[1]
        if tuple(fc_weight.shape[:1]) != (num_classes, ):
            raise ValueError(
                f'{type(self).__name__}: fc_weight must have {num_classes} '
                f'rows for preds_S {shape_of(preds_S)}, got '
                f'{shape_of(fc_weight)}')
        dtype = compute_dtype(feat, fc_weight)
        # Votes from float32 logits also under autocast: half-precision
        # rounding would create ties and change top classes.
        with torch.autocast(feat.device.type, enabled=False):
            return self.pixel_logits(
                feat.to(dtype), fc_weight.to(dtype),
                None if fc_bias is None else fc_bias.to(dtype))

    def _check_pixel_logits(self, pixel_logits: Tensor,
                            preds_S: Tensor) -> None:
        num_samples, num_classes = preds_S.shape
        shape = tuple(pixel_logits.shape)
        if (len(shape) == 4 and shape[:2] == (num_samples, num_classes)) or (
                len(shape) == 3 and shape[::2] == (num_samples, num_classes)):
            return
        raise ValueError(
            f'{type(self).__name__}: feat must be per-position logits of the '
            f'shape ({num_samples}, {num_classes}, H, W) or ({num_samples}, '
            f'H*W, {num_classes}) for preds_S {shape_of(preds_S)} (or a '
            f'feature map with fc_weight), got {shape_of(pixel_logits)}')
