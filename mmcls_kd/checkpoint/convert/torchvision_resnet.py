"""torchvision ResNet checkpoints renamed for MMPretrain's ``ResNet``.

Several numbers of the paper's Table 1 (DKD, KD and ReviewKD on ImageNet)
were produced by code that distils from torchvision's pretrained ResNets
(mdistiller, ReviewKD), not from MMPretrain's. torchvision's ``ResNet`` and
MMPretrain's ``ResNet(style='pytorch')`` are the same network with other
key names: the backbone keys gain a ``backbone.`` prefix and ``fc`` becomes
``head.fc``, so a converted checkpoint gives the same logits.
"""
from typing import Dict, Mapping

from mmengine.registry import DefaultScope
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..fit import fit_state_dict

#: torchvision's ResNet depths and their feature width.
DEPTHS = {18: 512, 34: 512, 50: 2048, 101: 2048, 152: 2048}
_BACKBONE_PREFIXES = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.',
                      'layer4.')


def classifier_config(depth: int, num_classes: int = 1000) -> dict:
    """The MMPretrain ``ImageClassifier`` a converted checkpoint fits."""
    if depth not in DEPTHS:
        raise ValueError(f'no torchvision ResNet of depth {depth}; '
                         f'supported: {sorted(DEPTHS)}')
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet', depth=depth, num_stages=4, out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=DEPTHS[depth],
            topk=(1, 5)))


def _rename(key: str) -> str:
    if key.startswith('fc.'):
        return 'head.' + key
    if key.startswith(_BACKBONE_PREFIXES):
        return 'backbone.' + key
    return key


def convert(state_dict: Mapping[str, Tensor],
            depth: int) -> Dict[str, Tensor]:
    """Rename a torchvision ResNet-``depth`` state dict into the state dict
    of :func:`classifier_config`.

    Raises:
        ValueError: a :class:`~mmcls_kd.checkpoint.fit.StateDictMismatchError`
            naming the keys that are missing, unexpected or of another shape
            than the MMPretrain model's.
    """
    renamed = {_rename(key): value for key, value in state_dict.items()}
    fc_weight = renamed.get('head.fc.weight')
    num_classes = fc_weight.shape[0] if fc_weight is not None else 1000
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(classifier_config(depth, num_classes))
    return fit_state_dict(
        model.state_dict(),
        renamed,
        source='the state dict',
        target=f'a torchvision ResNet-{depth}')
