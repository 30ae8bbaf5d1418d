"""Teacher checkpoints of the CRD / DKD CIFAR-100 model zoo, renamed for the
backbones of this package.

CRD (HobbitLong/RepDistiller) and DKD (megvii-research/mdistiller) save
``{'model': state_dict, ...}`` (some tools use ``'net'``; both are found by
:func:`mmcls_kd.checkpoint.read_state_dict`) with the key names of their own
model definitions. :func:`convert` maps those keys onto an
MMPretrain ``ImageClassifier`` made of one of our backbones, a
``GlobalAveragePooling`` neck and a ``LinearClsHead``; the models compute
the same function, so the logits are unchanged.
"""
import re
from typing import (Callable, Dict, Mapping, NamedTuple, Optional, Pattern,
                    Tuple)

import torch
from mmengine.registry import DefaultScope
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..fit import fit_state_dict

Rename = Callable[[re.Match], Optional[str]]


class Arch(NamedTuple):
    """How one CRD architecture becomes an ``ImageClassifier``."""
    backbone: dict
    feat_channels: int
    # (pattern, rename): the first pattern that fully matches a source key
    # names its target; a rename returning None rejects the key.
    rules: Tuple[Tuple[Pattern, Rename], ...]


def _to(template: str) -> Rename:
    return lambda match: match.expand(template)


def _rules(*pairs: Tuple[str, Rename]) -> Tuple[Tuple[Pattern, Rename], ...]:
    return tuple((re.compile(pattern), rename) for pattern, rename in pairs)


def _sequential_unit(index: str) -> Optional[Tuple[int, str]]:
    """Position in CRD's ``[conv, bn, relu, conv, bn, relu, ...]`` lists ->
    (unit, 'conv' | 'bn'); None for a ReLU slot, which holds nothing."""
    unit, slot = divmod(int(index), 3)
    return None if slot == 2 else (unit, ('conv', 'bn')[slot])


def _vgg_block(match: re.Match) -> Optional[str]:
    block, index, param = match.groups()
    unit = _sequential_unit(index)
    if unit is None:
        return None
    return f'backbone.layer{int(block) + 1}.{unit[0]}.{unit[1]}.{param}'


def _mobilenet_block(match: re.Match) -> Optional[str]:
    stage, block, index, param = match.groups()
    unit = _sequential_unit(index)
    if unit is None:
        return None
    return (f'backbone.layer{int(stage) + 1}.{block}.conv.{unit[0]}.'
            f'{unit[1]}.{param}')


_SHUFFLE_V1_UNITS = {
    '1': 'g_conv_1x1_compress',
    '2': 'depthwise_conv3x3_bn',
    '3': 'g_conv_1x1_expand'
}


def _shuffle_v1_block(match: re.Match) -> Optional[str]:
    stage, block, kind, number, param = match.groups()
    if number not in _SHUFFLE_V1_UNITS:
        return None
    return (f'backbone.layers.{int(stage) - 1}.{block}.'
            f'{_SHUFFLE_V1_UNITS[number]}.{kind}.{param}')


# CRD's ShuffleNetV2 numbers the convs of a block in order; MMPretrain splits
# them into branch1 (downsampling blocks only) and branch2.
_SHUFFLE_V2_DOWN = {
    '1': 'branch1.0',
    '2': 'branch1.1',
    '3': 'branch2.0',
    '4': 'branch2.1',
    '5': 'branch2.2'
}
_SHUFFLE_V2_BASIC = {'1': 'branch2.0', '2': 'branch2.1', '3': 'branch2.2'}


def _shuffle_v2_block(match: re.Match) -> Optional[str]:
    stage, block, kind, number, param = match.groups()
    units = _SHUFFLE_V2_DOWN if block == '0' else _SHUFFLE_V2_BASIC
    if number not in units:
        return None
    return (f'backbone.layers.{int(stage) - 1}.{block}.{units[number]}.'
            f'{kind}.{param}')


_P = r'(\w+)'  # a parameter or buffer name: weight, running_mean, ...

# Same names as MMPretrain's ResNet; only the classifier moves.
_RESNET = _rules(
    (r'((?:conv1|bn1|layer\d+)\..+)', _to(r'backbone.\1')),
    (rf'fc\.{_P}', _to(r'head.fc.\1')),
)
_RESNET50 = _rules(
    (r'(layer\d+\.\d+)\.shortcut\.(.+)', _to(r'backbone.\1.downsample.\2')),
    (r'((?:conv1|bn1|layer\d+)\..+)', _to(r'backbone.\1')),
    (rf'linear\.{_P}', _to(r'head.fc.\1')),
)
_VGG = _rules(
    (rf'block(\d)\.(\d+)\.{_P}', _vgg_block),
    (rf'classifier\.{_P}', _to(r'head.fc.\1')),
)
_MOBILENET_V2 = _rules(
    (rf'conv([12])\.0\.{_P}', _to(r'backbone.conv\1.conv.\2')),
    (rf'conv([12])\.1\.{_P}', _to(r'backbone.conv\1.bn.\2')),
    (rf'blocks\.(\d)\.(\d+)\.conv\.(\d)\.{_P}', _mobilenet_block),
    (rf'classifier\.0\.{_P}', _to(r'head.fc.\1')),
)
_SHUFFLE_STEM = (
    (rf'conv1\.{_P}', _to(r'backbone.conv1.conv.\1')),
    (rf'bn1\.{_P}', _to(r'backbone.conv1.bn.\1')),
    (rf'linear\.{_P}', _to(r'head.fc.\1')),
)
_SHUFFLE_V1 = _rules(
    *_SHUFFLE_STEM,
    (rf'layer([1-3])\.(\d+)\.(conv|bn)(\d)\.{_P}', _shuffle_v1_block),
)
_SHUFFLE_V2 = _rules(
    *_SHUFFLE_STEM,
    (rf'conv2\.{_P}', _to(r'backbone.layers.3.conv.\1')),
    (rf'bn2\.{_P}', _to(r'backbone.layers.3.bn.\1')),
    (rf'layer([1-3])\.(\d+)\.(conv|bn)(\d)\.{_P}', _shuffle_v2_block),
)
_WIDE_RESNET = _rules(
    (rf'conv1\.{_P}', _to(r'backbone.conv1.\1')),
    (rf'block([1-3])\.layer\.(\d+)\.convShortcut\.{_P}',
     _to(r'backbone.layer\1.\2.downsample.\3')),
    (rf'block([1-3])\.layer\.(\d+)\.((?:bn|conv)[12])\.{_P}',
     _to(r'backbone.layer\1.\2.\3.\4')),
    (rf'bn1\.{_P}', _to(r'backbone.final_norm.bn.\1')),
    (rf'fc\.{_P}', _to(r'head.fc.\1')),
)

# Keyed by the lower-cased names of CRD's ``model_dict``.
ARCHS: Dict[str, Arch] = {
    **{
        f'resnet{depth}': Arch(dict(type='CIFARResNet', depth=depth), 64,
                               _RESNET)
        for depth in (8, 14, 20, 32, 44, 56, 110)
    },
    'resnet8x4': Arch(dict(type='ResNet8x4'), 256, _RESNET),
    'resnet32x4': Arch(dict(type='ResNet32x4'), 256, _RESNET),
    **{
        f'wrn_{depth}_{width}': Arch(
            dict(type='CIFARWideResNet', depth=depth, widen_factor=width),
            64 * width, _WIDE_RESNET)
        for depth in (16, 40) for width in (1, 2)
    },
    'resnet50': Arch(dict(type='ResNet_CIFAR', depth=50), 2048, _RESNET50),
    **{
        f'vgg{depth}': Arch(dict(type='CIFARVGG', depth=depth), 512, _VGG)
        for depth in (8, 11, 13, 16, 19)
    },
    'mobile_half': Arch(dict(type='CIFARMobileNetV2', widen_factor=0.5), 1280,
                        _MOBILENET_V2),
    'shufflev1': Arch(dict(type='CIFARShuffleNetV1'), 960, _SHUFFLE_V1),
    'shufflev2': Arch(dict(type='CIFARShuffleNetV2'), 1024, _SHUFFLE_V2),
}


def get_arch(arch: str) -> Arch:
    try:
        return ARCHS[arch.lower()]
    except KeyError:
        raise ValueError(f'unknown arch {arch!r}; supported: '
                         f'{", ".join(ARCHS)}') from None


def classifier_config(arch: str, num_classes: int = 100) -> dict:
    """The ``ImageClassifier`` config a converted ``arch`` checkpoint
    loads into."""
    spec = get_arch(arch)
    return dict(
        type='ImageClassifier',
        backbone=dict(spec.backbone),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=spec.feat_channels))


def _rename(key: str, spec: Arch) -> Optional[str]:
    for pattern, rename in spec.rules:
        match = pattern.fullmatch(key)
        if match:
            return rename(match)
    return None


def convert(state_dict: Mapping[str, Tensor], arch: str) -> Dict[str, Tensor]:
    """Rename a CRD / DKD ``arch`` state dict into the state dict of
    :func:`classifier_config` (``backbone.*``, ``head.fc.*``).

    The number of classes is read from the classifier's weight. BatchNorm's
    ``num_batches_tracked``, absent from checkpoints of old PyTorch, is
    filled with zeros. A key no rule renames keeps its name (and does not
    fit).

    Raises:
        ValueError: unknown ``arch``, or a
            :class:`~mmcls_kd.checkpoint.fit.StateDictMismatchError` naming
            the keys that do not fit it.
    """
    spec = get_arch(arch)
    renamed = {_rename(key, spec) or key: v for key, v in state_dict.items()}
    fc_weight = renamed.get('head.fc.weight')
    num_classes = fc_weight.shape[0] if fc_weight is not None else 100
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        classifier = MODELS.build(classifier_config(arch, num_classes))
    expected = classifier.state_dict()
    for key, value in expected.items():
        if key.endswith('num_batches_tracked') and key not in renamed:
            renamed[key] = torch.zeros((), dtype=value.dtype)
    return fit_state_dict(
        expected, renamed, source='the state dict', target=f'arch {arch!r}')
