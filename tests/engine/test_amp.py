"""DeviceAmpOptimWrapper: bf16 autocast on CPU, no loss scaler."""
import logging
import uuid

import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from mmcls_kd.engine import DeviceAmpOptimWrapper
from mmcls_kd.engine.amp import bf16_slowdown, report_amp


def _wrapper(model, **kwargs):
    return DeviceAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(),
                                                           lr=0.1),
                                 **kwargs)


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
    trained = DeviceAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    with trained.optim_context(model):
        out = model(torch.randn(5, 4))
    trained.update_params(out.float().pow(2).mean())
    # As a GPU run saves it: the optimizer's state and the loss scaler's.
    state = trained.state_dict()
    state['loss_scaler'] = {'scale': 1024.0, '_growth_tracker': 3}

    resumed = DeviceAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9))
    resumed.load_state_dict(state)
    buffers = [
        resumed.optimizer.state[p]['momentum_buffer']
        for p in model.parameters()
    ]
    expected = [
        trained.optimizer.state[p]['momentum_buffer']
        for p in model.parameters()
    ]
    assert all(torch.equal(a, b) for a, b in zip(buffers, expected))
    assert resumed.get_lr()['lr'] == [0.1]
    assert resumed.loss_scaler is None
    # The checkpoint the caller holds is left as it was.
    assert state['loss_scaler'] == {'scale': 1024.0, '_growth_tracker': 3}


def test_fp16_on_cpu_is_refused():
    with pytest.raises(ValueError, match='bfloat16'):
        _wrapper(nn.Linear(2, 2), dtype='float16')


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append((record.levelname, record.getMessage()))


@pytest.fixture
def amp_log():
    logger = MMLogger.get_instance(f'amp-{uuid.uuid4()}')
    records = _Records()
    logger.addHandler(records)
    yield records.messages
    logger.removeHandler(records)


def test_the_autocast_dtype_is_logged_at_start(amp_log):
    _wrapper(nn.Linear(4, 3))
    assert ('INFO',
            'AMP: bfloat16 autocast on cpu, without loss scaling') in amp_log


def test_a_cpu_where_bf16_is_slower_than_fp32_gets_a_warning(amp_log):
    report_amp('cpu', torch.bfloat16, False, slowdown=12.0)
    report_amp('cpu', torch.bfloat16, False, slowdown=0.7)
    warnings = [text for level, text in amp_log if level == 'WARNING']
    assert warnings == [
        'AMP: this CPU ran a bf16 convolution step 12.0x slower than fp32 '
        '(no native bf16 kernels): --amp will slow this run down, not speed '
        'it up; leave --amp off on this machine'
    ]


def test_the_bf16_probe_measures_a_ratio():
    ratio = bf16_slowdown(repeats=1)
    assert 0 < ratio < float('inf')
