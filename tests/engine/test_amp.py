"""DeviceAmpOptimWrapper: bf16 autocast on CPU, no loss scaler."""
import pytest
import torch
from torch import nn

from mmcls_kd.engine import DeviceAmpOptimWrapper


def _wrapper(model, **kwargs):
    return DeviceAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_cpu_autocasts_to_bf16_and_steps():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    wrapper = _wrapper(model)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(5, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert not torch.equal(model.weight, before)
    assert model.weight.dtype == torch.float32
    assert 'loss_scaler' not in wrapper.state_dict()


def test_gpu_checkpoint_resumes_on_cpu_with_its_optimizer_state():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    trained = DeviceAmpOptimWrapper(optimizer=torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9))
    with trained.optim_context(model):
        out = model(torch.randn(5, 4))
    trained.update_params(out.float().pow(2).mean())
    # As a GPU run saves it: the optimizer's state and the loss scaler's.
    state = trained.state_dict()
    state['loss_scaler'] = {'scale': 1024.0, '_growth_tracker': 3}

    resumed = DeviceAmpOptimWrapper(optimizer=torch.optim.SGD(
        model.parameters(), lr=0.5, momentum=0.9))
    resumed.load_state_dict(state)
    buffers = [resumed.optimizer.state[p]['momentum_buffer']
               for p in model.parameters()]
    expected = [trained.optimizer.state[p]['momentum_buffer']
                for p in model.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(buffers, expected))
    assert resumed.get_lr()['lr'] == [0.1]
    assert resumed.loss_scaler is None
    # The checkpoint the caller holds is left as it was.
    assert state['loss_scaler'] == {'scale': 1024.0, '_growth_tracker': 3}


def test_fp16_on_cpu_is_refused():
    with pytest.raises(ValueError, match='bfloat16'):
        _wrapper(nn.Linear(2, 2), dtype='float16')
