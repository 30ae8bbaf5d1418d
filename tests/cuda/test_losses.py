"""Every loss on the GPU: forward and backward in fp32 (equal to the CPU
within float error) and under fp16 autocast with a ``GradScaler`` (finite on
extreme logits, near fp32 on ordinary ones)."""
import pytest
import torch

from tests.reliability.helpers import (FEATURE_CASES, LABEL_ARG,
                                       build_loss_or_skip)
from tests.reliability.test_mixed_precision import (LOGIT_LOSSES, _labels,
                                                    _logits)

pytestmark = pytest.mark.cuda

# fp16 autocast against fp32: loss relative, gradients relative to the
# largest fp32 gradient (the CPU suite's fp16 tolerances).
FP16_TOLERANCE = (2e-3, 5e-3)
# The same loss on the GPU and the CPU in fp32: summation order only.
FP32_TOLERANCE = 1e-4


def _step(loss, inputs, device, amp):
    """The loss and the unscaled gradients of the float inputs, on
    ``device``, under fp16 autocast with a GradScaler when ``amp``."""
    loss = loss.to(device)
    leaves, moved = [], {}
    for arg, value in inputs.items():
        values = value if isinstance(value, list) else [value]
        out = []
        for v in values:
            if isinstance(v, torch.Tensor) and v.is_floating_point() \
                    and arg != LABEL_ARG:
                v = v.detach().to(device).requires_grad_()
                leaves.append(v)
            elif isinstance(v, torch.Tensor):
                v = v.to(device)
            out.append(v)
        moved[arg] = out if isinstance(value, list) else out[0]
    scaler = torch.amp.GradScaler(device, enabled=amp)
    with torch.autocast(device, dtype=torch.float16, enabled=amp):
        value = loss(**moved)
    scaler.scale(value).backward()
    scale = scaler.get_scale() if amp else 1.0
    grads = [None if leaf.grad is None else (leaf.grad / scale).cpu()
             for leaf in leaves]
    return value.detach().float().cpu(), grads


def _logit_inputs(name, logit_kind, label_kind='hard'):
    loss, args = build_loss_or_skip(name)
    logits, labels = _logits(logit_kind), _labels(label_kind)
    return loss, {
        arg: labels if arg == LABEL_ARG else logits[arg]
        for arg in args
    }


def _close(grads, reference, rtol):
    assert len(grads) == len(reference)
    for grad, ref in zip(grads, reference):
        assert (grad is None) == (ref is None)
        if ref is not None:
            scale = ref.abs().max().double().clamp_min(1e-12)
            error = (grad.double() - ref.double()).abs().max()
            assert error <= rtol * scale, (error.item(), scale.item())


@pytest.mark.parametrize('name', LOGIT_LOSSES)
def test_logit_losses_on_the_device(name, device):
    loss, inputs = _logit_inputs(name, 'ordinary', 'mixed')
    try:
        cpu_value, cpu_grads = _step(loss, inputs, 'cpu', amp=False)
    except (ValueError, TypeError) as err:
        pytest.skip(f'{name} does not take these synthesised inputs: {err}')
    value, grads = _step(loss, inputs, device, amp=False)
    assert value.item() == pytest.approx(cpu_value.item(), rel=FP32_TOLERANCE)
    _close(grads, cpu_grads, FP32_TOLERANCE)
    value, grads = _step(loss, inputs, device, amp=True)
    assert value.item() == pytest.approx(cpu_value.item(),
                                         rel=FP16_TOLERANCE[0])
    _close(grads, cpu_grads, FP16_TOLERANCE[1])


@pytest.mark.parametrize('logit_kind', ['confident-right', 'confident-mixed'])
@pytest.mark.parametrize('name', LOGIT_LOSSES)
def test_logit_losses_stay_finite_under_fp16(name, logit_kind, device):
    loss, inputs = _logit_inputs(name, logit_kind)
    try:
        value, grads = _step(loss, inputs, device, amp=True)
    except (ValueError, TypeError) as err:
        pytest.skip(f'{name} does not take these synthesised inputs: {err}')
    assert torch.isfinite(value), value
    assert any(g is not None for g in grads)
    assert all(torch.isfinite(g).all() for g in grads if g is not None)


@pytest.mark.parametrize('name', sorted(FEATURE_CASES))
def test_feature_losses_on_the_device(name, device):

    def case():
        return FEATURE_CASES[name](torch.Generator().manual_seed(0))

    loss, floats, others = case()
    cpu_value, cpu_grads = _step(loss, {**floats, **others}, 'cpu', False)
    loss, floats, others = case()  # fresh memory banks
    value, grads = _step(loss, {**floats, **others}, device, False)
    assert value.item() == pytest.approx(cpu_value.item(), rel=FP32_TOLERANCE)
    _close(grads, cpu_grads, FP32_TOLERANCE)
    loss, floats, others = case()
    value, grads = _step(loss, {**floats, **others}, device, True)
    assert torch.isfinite(value)
    assert value.item() == pytest.approx(cpu_value.item(),
                                         rel=FP16_TOLERANCE[0] * 5)
