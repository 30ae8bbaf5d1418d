"""CTKDLoss: Hinton's KD at a given temperature (arXiv 2211.16231),
against a float64 transcription of the equation, with its gradients into
the student's logits and the temperature."""
import pytest
import torch

from mmcls_kd.models.losses import CTKDLoss, ctkd_loss
from mmcls_kd.registry import MODELS

NUM_SAMPLES, NUM_CLASSES = 5, 7


def _reference(preds_S, preds_T, tau):
    """mean_i tau_i^2 * sum_c p_t,ic (log p_t,ic - log p_s,ic), float64,
    with the softmax written out."""
    s, t = preds_S.double(), preds_T.double()
    tau = tau.double().reshape(-1, 1)
    p_s = torch.exp(s / tau) / torch.exp(s / tau).sum(1, keepdim=True)
    p_t = torch.exp(t / tau) / torch.exp(t / tau).sum(1, keepdim=True)
    kl = (p_t * (torch.log(p_t) - torch.log(p_s))).sum(1)
    return (tau.reshape(-1)**2 * kl).mean()


def _logits(seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    preds_S = 3 * torch.randn(NUM_SAMPLES, NUM_CLASSES, generator=gen)
    preds_T = 3 * torch.randn(NUM_SAMPLES, NUM_CLASSES, generator=gen)
    return preds_S.to(dtype), preds_T.to(dtype)


TEMPERATURES = {
    'scalar': torch.tensor(2.5, dtype=torch.float64),
    'global': torch.tensor([15.6], dtype=torch.float64),
    'per-sample': torch.tensor([1.0, 2.0, 4.0, 8.0, 20.0],
                               dtype=torch.float64),
}


@pytest.mark.parametrize('kind', sorted(TEMPERATURES))
def test_loss_and_gradients_match_the_equation(kind):
    preds_S, preds_T = _logits()
    ours_S = preds_S.clone().requires_grad_()
    ours_tau = TEMPERATURES[kind].clone().requires_grad_()
    loss = CTKDLoss(loss_weight=0.9)(ours_S, preds_T, ours_tau)
    loss.backward()
    ref_S = preds_S.clone().requires_grad_()
    ref_tau = TEMPERATURES[kind].clone().requires_grad_()
    expected = 0.9 * _reference(ref_S, preds_T, ref_tau)
    expected.backward()
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    torch.testing.assert_close(ours_S.grad, ref_S.grad, rtol=1e-10, atol=1e-12)
    # The temperature is learnt: its gradient comes through the softmaxes
    # and the tau^2 factor alike.
    torch.testing.assert_close(ours_tau.grad,
                               ref_tau.grad,
                               rtol=1e-10,
                               atol=1e-12)
    assert ours_tau.grad.abs().min() > 0


def test_per_sample_function_and_teacher_detached():
    preds_S, preds_T = _logits(1)
    preds_S.requires_grad_()
    preds_T.requires_grad_()
    tau = TEMPERATURES['per-sample']
    per_sample = ctkd_loss(preds_S, preds_T, tau)
    assert per_sample.shape == (NUM_SAMPLES, )
    for i in range(NUM_SAMPLES):
        expected = _reference(preds_S[i:i + 1], preds_T[i:i + 1], tau[i])
        assert per_sample[i].item() == pytest.approx(expected.item(),
                                                     rel=1e-12)
    per_sample.sum().backward()
    assert preds_S.grad.abs().sum() > 0
    assert preds_T.grad is None


def test_equal_logits_give_zero_and_float32_for_float32_inputs():
    preds_S, _ = _logits(2, torch.float32)
    loss = CTKDLoss()(preds_S, preds_S.clone(), torch.tensor([4.0]))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_callable_temperature_is_called_with_the_student_logits():
    preds_S, preds_T = _logits(3)
    seen = []

    def temperature(logits):
        seen.append(logits)
        return TEMPERATURES['per-sample']

    loss = CTKDLoss()(preds_S, preds_T, temperature)
    assert seen and seen[0] is preds_S
    expected = _reference(preds_S, preds_T, TEMPERATURES['per-sample'])
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)


@pytest.mark.parametrize('tau,message', [
    (torch.ones(3), r'shape \(\), \(1,\) or \(5,\).*got \(3,\)'),
    (torch.ones(5, 1), r'got \(5, 1\)'),
    (torch.ones(1, dtype=torch.long), 'torch.int64'),
    (4.0, 'got float'),
    (torch.tensor([1.0, 2.0, 0.0, 1.0, 1.0]), r'> 0, got values in \[0, 2\]'),
    (torch.tensor([-1.0]), 'finite and > 0'),
    (torch.tensor([float('nan')]), 'finite and > 0'),
    (torch.tensor([float('inf')]), 'finite and > 0'),
])
def test_bad_temperature_is_named(tau, message):
    preds_S, preds_T = _logits(4, torch.float32)
    with pytest.raises(ValueError, match='CTKDLoss: temperature .*' + message):
        CTKDLoss()(preds_S, preds_T, tau)


def test_bad_logits_are_named():
    preds_S, preds_T = _logits(5, torch.float32)
    with pytest.raises(ValueError, match='teacher 6'):
        CTKDLoss()(preds_S, preds_T[:, :6], torch.ones(1))
    with pytest.raises(ValueError, match='preds_S must have the shape'):
        CTKDLoss()(preds_S[0], preds_T[0], torch.ones(1))


@pytest.mark.parametrize(
    'weight', [-0.1, float('nan'), float('inf'), True, '1'])
def test_loss_weight_is_checked(weight):
    with pytest.raises(ValueError, match='CTKDLoss: loss_weight'):
        CTKDLoss(loss_weight=weight)


def test_registered():
    loss = MODELS.build(dict(type='CTKDLoss', loss_weight=0.5))
    assert isinstance(loss, CTKDLoss) and loss.loss_weight == 0.5


@pytest.mark.parametrize('extreme', [False, True])
@pytest.mark.parametrize('dtype,autocast,rtol', [
    (torch.bfloat16, True, 2e-2),
    (torch.float16, False, 2e-3),
])
def test_half_precision(dtype, autocast, rtol, extreme):
    """The package's mixed-precision suite skips losses with a temperature
    input: the same checks here, on ordinary and on fully confident
    logits."""
    preds_S, preds_T = _logits(6, torch.float32)
    if extreme:
        preds_S = torch.where(preds_S > 0, 1e4, -1e4)
        preds_T = torch.where(preds_T > 0, 1e4, -1e4)
    tau = torch.tensor([1.0, 2.0, 4.0, 8.0, 20.0])

    def run(dtype, autocast):
        student = preds_S.to(dtype).requires_grad_()
        temperature = tau.clone().requires_grad_()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            loss = CTKDLoss()(student, preds_T.to(dtype), temperature)
        loss.backward()
        return loss.detach(), student.grad.float(), temperature.grad

    value, grad_S, grad_tau = run(dtype, autocast)
    assert value.dtype == torch.float32
    assert torch.isfinite(value)
    assert torch.isfinite(grad_S).all() and torch.isfinite(grad_tau).all()
    if not extreme:
        ref_value, ref_S, ref_tau = run(torch.float32, False)
        assert value.item() == pytest.approx(ref_value.item(), rel=rtol)
        assert (grad_S - ref_S).abs().max() <= 5 * rtol * ref_S.abs().max()
        assert (grad_tau - ref_tau).abs().max() <= \
            5 * rtol * ref_tau.abs().max()
