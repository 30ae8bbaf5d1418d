"""CRD / DKD CIFAR-100 checkpoints -> our classifiers: the converted model
computes the logits of the source; keys and shapes that do not fit are
named.

Checkpoints in CRD's layout are written from our own randomly initialised
classifiers through ``to_crd``, the inverse renaming written here from CRD's
model definitions (HobbitLong/RepDistiller, models/*.py), independently of
the converter's rules.
"""
import pytest
import torch
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_kd.checkpoint import read_state_dict
from mmcls_kd.checkpoint.convert.cifar_zoo import convert
from mmcls_kd.registry import MODELS
from tests.conftest import randomize_batchnorm

# CRD arch name -> (CRD family, our backbone, feature channels)
ARCHS = {
    'resnet8x4': ('resnet', dict(type='ResNet8x4'), 256),
    'resnet32x4': ('resnet', dict(type='ResNet32x4'), 256),
    'resnet56': ('resnet', dict(type='CIFARResNet', depth=56), 64),
    'ResNet50': ('resnetv2', dict(type='ResNet_CIFAR', depth=50), 2048),
    'vgg8': ('vgg', dict(type='CIFARVGG', depth=8), 512),
    'vgg13': ('vgg', dict(type='CIFARVGG', depth=13), 512),
    'mobile_half': ('mobilenetv2', dict(type='CIFARMobileNetV2'), 1280),
    'ShuffleV1': ('shufflev1', dict(type='CIFARShuffleNetV1'), 960),
    'ShuffleV2': ('shufflev2', dict(type='CIFARShuffleNetV2'), 1024),
    'wrn_40_2': ('wrn', dict(type='CIFARWideResNet', depth=40,
                             widen_factor=2), 128),
}
# CRD's classifier attribute per family.
CRD_FC = {
    'resnet': 'fc',
    'resnetv2': 'linear',
    'vgg': 'classifier',
    'mobilenetv2': 'classifier.0',
    'shufflev1': 'linear',
    'shufflev2': 'linear',
    'wrn': 'fc',
}


def _sequential_index(unit: str, kind: str) -> int:
    # CRD lists [conv, bn, relu] per unit in one nn.Sequential.
    return 3 * int(unit) + (0 if kind == 'conv' else 1)


def _crd_backbone_key(family: str, parts: list) -> str:
    if family == 'resnet':
        return '.'.join(parts)
    if family == 'resnetv2':
        return '.'.join('shortcut' if p == 'downsample' else p for p in parts)
    if family == 'vgg':
        layer, unit, kind, param = parts
        return (f'block{int(layer[len("layer"):]) - 1}.'
                f'{_sequential_index(unit, kind)}.{param}')
    if family == 'mobilenetv2':
        if parts[0] in ('conv1', 'conv2'):
            name, kind, param = parts
            return f'{name}.{0 if kind == "conv" else 1}.{param}'
        layer, block, _, unit, kind, param = parts
        return (f'blocks.{int(layer[len("layer"):]) - 1}.{block}.conv.'
                f'{_sequential_index(unit, kind)}.{param}')
    if family in ('shufflev1', 'shufflev2'):
        if parts[0] == 'conv1':
            return f'{parts[1]}1.{parts[2]}'
        if parts[:2] == ['layers', '3']:
            return f'{parts[2]}2.{parts[3]}'
        _, stage, block = parts[:3]
        kind, param = parts[-2:]
        if family == 'shufflev1':
            number = {'g_conv_1x1_compress': 1, 'depthwise_conv3x3_bn': 2,
                      'g_conv_1x1_expand': 3}[parts[3]]
        else:
            branch, position = parts[3], int(parts[4])
            # Downsampling blocks number branch1 first, then branch2.
            number = position + (3 if branch == 'branch2' and block == '0'
                                 else 1)
        return f'layer{int(stage) + 1}.{block}.{kind}{number}.{param}'
    if family == 'wrn':
        if parts[0] == 'conv1':
            return '.'.join(parts)
        if parts[0] == 'final_norm':
            return f'bn1.{parts[2]}'
        layer, block, *rest = parts
        rest = ['convShortcut' if p == 'downsample' else p for p in rest]
        return f'block{layer[len("layer"):]}.layer.{block}.{".".join(rest)}'
    raise AssertionError(family)


def to_crd(family: str, key: str) -> str:
    """Our ``ImageClassifier`` key -> the key CRD's model definition uses."""
    if key.startswith('head.fc.'):
        return f'{CRD_FC[family]}.{key[len("head.fc."):]}'
    assert key.startswith('backbone.'), key
    return _crd_backbone_key(family, key[len('backbone.'):].split('.'))


def build_classifier(arch: str) -> nn.Module:
    _, backbone, channels = ARCHS[arch]
    cfg = dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100,
                  in_channels=channels))
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(cfg)


def random_classifier(arch: str) -> nn.Module:
    """Random weights and BatchNorm statistics, so that any misplaced
    tensor changes the logits."""
    torch.manual_seed(0)
    model = randomize_batchnorm(build_classifier(arch))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.num_batches_tracked.fill_(7)
        model.head.fc.bias.uniform_(-0.1, 0.1)
    return model.eval()


def crd_state_dict(model: nn.Module, arch: str) -> dict:
    family = ARCHS[arch][0]
    state = {to_crd(family, k): v for k, v in model.state_dict().items()}
    assert len(state) == len(model.state_dict())
    return state


def save_crd_checkpoint(path, state_dict: dict, entry: str = 'model') -> str:
    """As CRD's train_teacher.py saves: weights, epoch, best accuracy and
    the SGD state."""
    torch.save(
        {
            'epoch': 240,
            entry: state_dict,
            'best_acc': torch.tensor(79.4),
            'optimizer': {
                'state': {0: {'momentum_buffer': torch.zeros(3)}},
                'param_groups': [{'lr': 0.05, 'params': [0]}],
            },
        }, path)
    return str(path)


def logits(model: nn.Module, seed: int = 1) -> torch.Tensor:
    inputs = torch.randn(1, 3, 32, 32,
                         generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model(inputs, mode='tensor')


@pytest.mark.parametrize('arch', list(ARCHS))
def test_round_trip_keeps_logits(arch, tmp_path):
    source = random_classifier(arch)
    path = save_crd_checkpoint(tmp_path / 'ckpt_epoch_240.pth',
                               crd_state_dict(source, arch))

    converted = convert(read_state_dict(path)[0], arch)

    target = build_classifier(arch)
    target.load_state_dict(converted, strict=True)
    target.eval()
    assert torch.equal(logits(target), logits(source))


def test_net_entry_dataparallel_prefix_and_old_batchnorm(tmp_path):
    source = random_classifier('resnet8x4')
    # DataParallel prefixes every key; PyTorch < 0.4.1 saved no
    # num_batches_tracked.
    state = {
        f'module.{k}': v
        for k, v in crd_state_dict(source, 'resnet8x4').items()
        if not k.endswith('num_batches_tracked')
    }
    path = save_crd_checkpoint(tmp_path / 'old.pth', state, entry='net')

    converted = convert(read_state_dict(path)[0], 'RESNET8X4')

    assert converted['backbone.bn1.num_batches_tracked'] == 0
    target = build_classifier('resnet8x4')
    target.load_state_dict(converted, strict=True)
    assert torch.equal(logits(target.eval()), logits(source))


def test_unknown_arch():
    with pytest.raises(ValueError, match="unknown arch 'resnet99'.*resnet8x4"):
        convert({}, 'resnet99')


def test_keys_of_another_arch():
    state = crd_state_dict(random_classifier('resnet8x4'), 'resnet8x4')
    with pytest.raises(ValueError) as err:
        convert(state, 'vgg8')
    message = str(err.value)
    assert "does not fit arch 'vgg8'" in message
    assert 'unexpected (conv1.weight' in message
    assert 'missing (backbone.layer1.0.conv.weight' in message


def test_too_shallow_for_arch():
    state = crd_state_dict(random_classifier('resnet8x4'), 'resnet8x4')
    with pytest.raises(ValueError, match=r' missing \(backbone\.layer1\.1\.'):
        convert(state, 'resnet32x4')


def test_shapes_of_another_width():
    # CRD's resnet8x4 weights read as the 16-wide resnet8.
    state = crd_state_dict(random_classifier('resnet8x4'), 'resnet8x4')
    with pytest.raises(
            ValueError,
            match=r'of another shape \(backbone\.conv1\.weight: '
            r'found \(32, 3, 3, 3\), expected \(16, 3, 3, 3\)'):
        convert(state, 'resnet8')
