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


def _algorithm(timm_student: bool):
    """The timm quick start (a timm teacher) with random weights; with a
    timm student too if asked."""
    from mmengine.config import Config

    from mmcls_kd.apis import build_model
    from tests.conftest import QUICK
    cfg = Config.fromfile(
        f'{QUICK}/nkd_timm-resnet18_resnet18-w16_1xb32_digits.py')
    cfg.model.teacher_ckpt = None
    cfg.model.allow_random_teacher = True
    if timm_student:
        cfg.model.architecture = dict(
            type='TimmClassifier',
            model_name='test_resnet',
            num_classes=10,
            in_chans=1)
    return build_model(cfg)


@pytest.mark.parametrize('timm_student', [False, True])
def test_an_algorithm_loads_its_own_state_dict(timm_student):
    """As a resume does (MMEngine's load_state_dict, strict): every
    tensor comes back, the teacher's and what follows a timm student."""
    from mmengine.runner.checkpoint import load_state_dict
    torch.manual_seed(0)
    saved = _algorithm(timm_student).state_dict()
    torch.manual_seed(1)
    algorithm = _algorithm(timm_student)
    load_state_dict(algorithm, dict(saved), strict=True)
    for key, value in algorithm.state_dict().items():
        assert torch.equal(value, saved[key]), key
    # The teacher's keys are timm's, as a timm network saves them.
    import timm
    network = timm.create_model('resnet18', num_classes=10, in_chans=1)
    network.load_state_dict({
        key[len('teacher.'):]: value
        for key, value in saved.items() if key.startswith('teacher.')
    })
