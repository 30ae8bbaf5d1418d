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


def test_gpu_checkpoint_scaler_state_is_dropped_on_cpu():
    model = nn.Linear(4, 3)
    wrapper = _wrapper(model)
    state = wrapper.state_dict()
    state['loss_scaler'] = {'scale': 1024.0}
    wrapper.load_state_dict(state)


def test_fp16_on_cpu_is_refused():
    with pytest.raises(ValueError, match='bfloat16'):
        _wrapper(nn.Linear(2, 2), dtype='float16')
