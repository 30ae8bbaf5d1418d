from typing import Tuple

import torch
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_kd.registry import MODELS


def build(cfg: dict) -> nn.Module:
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(cfg)


def build_classifier(backbone: dict, in_channels: int,
                     num_classes: int = 100) -> nn.Module:
    return build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))


def trainable_params(model: nn.Module) -> int:
    """Counted as the papers count: every trainable parameter, classifier
    included, BatchNorm's running statistics excluded."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def run_classifier(model: nn.Module, size: int = 32) -> Tuple[list, tuple]:
    """One eval-mode forward of a one-image batch: the shapes of the
    backbone's outputs (batch dimension dropped) and of the logits."""
    model.eval()
    with torch.no_grad():
        feats = model.backbone(torch.randn(1, 3, size, size))
        logits = model.head(model.neck(feats))
    assert isinstance(feats, tuple)
    return [tuple(feat.shape[1:]) for feat in feats], tuple(logits.shape)


def assert_published(count: int, published_millions: float) -> None:
    """Papers print millions with two decimals; allow 0.5%."""
    published = published_millions * 1e6
    assert abs(count - published) <= 0.005 * published, (count, published)
