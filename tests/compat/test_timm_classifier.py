"""A TimmClassifier whose network timm loaded with weights keeps them when
the runner calls ``init_weights``; one built without weights is initialised
as before."""
import pytest
import torch
from mmpretrain.models import TimmClassifier

pytest.importorskip('timm')


def _saved_network(tmp_path) -> tuple:
    """A timm network's weights, saved as timm saves them."""
    import timm
    torch.manual_seed(0)
    network = timm.create_model('test_resnet', num_classes=10)
    with torch.no_grad():
        for param in network.parameters():
            param.uniform_(-1, 1)
    path = tmp_path / 'network.pth'
    torch.save(network.state_dict(), path)
    return str(path), network.state_dict()


def test_weights_timm_loaded_survive_init_weights(tmp_path):
    path, saved = _saved_network(tmp_path)
    model = TimmClassifier(
        model_name='test_resnet', num_classes=10, checkpoint_path=path)
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_a_network_without_weights_is_initialised(tmp_path):
    _, saved = _saved_network(tmp_path)
    model = TimmClassifier(model_name='test_resnet', num_classes=10)
    model.load_state_dict(saved)
    model.init_weights()
    # timm's ResNet init draws the convolutions anew (they are no longer the
    # uniform(-1, 1) values) and zeroes the last BatchNorm of each block.
    assert not torch.equal(model.state_dict()['conv1.0.weight'],
                           saved['conv1.0.weight'])
