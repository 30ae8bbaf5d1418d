"""A loss reads from the device at most once per step (its value check),
and not at all with value checks off (benchmarks): counted with CUDA's
synchronisation debug mode."""
import inspect
import warnings

import pytest
import torch

from mmcls_kd.models.losses import DKDLoss, KDLoss, NKDLoss
from mmcls_kd.models.losses.checks import no_value_checks
from tests.cuda.conftest import needs_cuda

pytestmark = pytest.mark.cuda


def _synchronisations(fn) -> int:
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode('default')
    return sum('synchroniz' in str(w.message) for w in caught)


@pytest.mark.parametrize('loss', [NKDLoss(), DKDLoss(), KDLoss()],
                         ids=lambda loss: type(loss).__name__)
def test_a_loss_step_reads_the_device_at_most_once(loss, device):
    needs_cuda(device, 'counting host synchronisations')
    g = torch.Generator(device='cuda').manual_seed(0)
    preds_S = torch.randn(64, 100, device='cuda', generator=g,
                          requires_grad=True)
    preds_T = torch.randn(64, 100, device='cuda', generator=g)
    labels = torch.randint(0, 100, (64, ), device='cuda', generator=g)

    def step():
        parameters = inspect.signature(loss.forward).parameters
        args = (preds_S, preds_T)
        if 'gt_labels' in parameters:
            args += (labels, )
        loss(*args).backward()

    step()  # warm-up: one-time work is not a per-step cost
    assert _synchronisations(step) <= 1
    with no_value_checks():
        assert _synchronisations(step) == 0
