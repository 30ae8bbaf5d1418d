"""torchvision ResNet checkpoints -> MMPretrain ResNet classifiers: the
converted model computes torchvision's logits."""
import pytest
import torch
import torchvision
from mmengine.registry import DefaultScope

from mmcls_kd.checkpoint.convert.torchvision_resnet import (classifier_config,
                                                            convert)
from mmcls_kd.registry import MODELS
from tests.conftest import randomize_batchnorm


def _random_torchvision(depth: int, num_classes: int) -> torch.nn.Module:
    torch.manual_seed(depth)
    model = getattr(torchvision.models, f'resnet{depth}')(
        weights=None, num_classes=num_classes)
    return randomize_batchnorm(model).eval()


@pytest.mark.parametrize('depth', [18, 34, 50])
def test_converted_resnet_gives_torchvision_logits(depth):
    source = _random_torchvision(depth, num_classes=10)
    converted = convert(source.state_dict(), depth)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(classifier_config(depth, num_classes=10))
    model.load_state_dict(converted, strict=True)
    model.eval()
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = source(images)
        logits = model(images, mode='tensor')
    assert torch.equal(logits, expected)


def test_wrong_depth_names_the_keys():
    state = _random_torchvision(18, num_classes=10).state_dict()
    with pytest.raises(
            ValueError, match='does not fit a torchvision ResNet-34') as err:
        convert(state, 34)
    assert 'missing (backbone.layer1.2.' in str(err.value)


def test_unknown_depth():
    with pytest.raises(ValueError, match='supported'):
        classifier_config(26)
