"""CTKD's temperature connectors: the gradient reversal layer, the
temperature's range, the lambda curriculum (against the official code's
schedule) and the instance-wise MLP."""
import math
import warnings

import pytest
import torch

from mmcls_kd.models.connectors import GlobalTemperature, InstanceTemperature
from mmcls_kd.models.connectors.ctkd import reverse_gradient
from mmcls_kd.models.losses import CTKDLoss
from mmcls_kd.registry import MODELS


def _numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f`` at ``x``
    (float64)."""
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x).view(-1)
        step[i] = eps
        step = step.view_as(x)
        grad.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize('lambda_', [0.0, 0.3, 1.0, 2.5])
def test_gradient_reversal_is_identity_forward_and_minus_lambda_backward(
        lambda_):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    weight = torch.randn(3, 4, generator=gen, dtype=torch.float64)

    def f(value):
        return (weight * value.sin() * value).sum()

    leaf = x.clone().requires_grad_()
    out = reverse_gradient(leaf, lambda_)
    assert torch.equal(out, x)
    f(out).backward()
    expected = -lambda_ * _numerical_gradient(f, x)
    torch.testing.assert_close(leaf.grad, expected, rtol=1e-7, atol=1e-9)


def _official_lambda(epoch, loops):
    """The official code's ``CosineDecay(max_value=0, min_value=-1,
    num_loops=loops).get_value(epoch)`` (train_student.py, epochs counted
    from 1), which its reversal layer multiplies the gradient by; the
    reversal weight is its negation."""
    i = min(max(epoch, 0), loops)
    value = (math.cos(i * math.pi / loops) + 1.0) * 0.5
    return -(value * (0 - (-1)) + (-1))


def test_curriculum_is_the_official_schedule():
    temperature = GlobalTemperature()
    # The runner's 0-based epoch e is the official code's epoch e + 1.
    ours = [temperature.lambda_at(e) for e in range(15)]
    official = [_official_lambda(e + 1, 10) for e in range(15)]
    assert ours == pytest.approx(official, abs=1e-12)
    # As in the official logs: 0.0245 in the first epoch, 1 from the 10th.
    assert ours[0] == pytest.approx(0.02447174185242318, abs=1e-12)
    assert ours[9:] == [1.0] * 6


def test_curriculum_from_epoch_zero_between_the_bounds():
    temperature = GlobalTemperature(lambda_min=0.2,
                                    lambda_max=0.8,
                                    curriculum_epochs=8,
                                    first_epoch=0)
    # epochs 0, E/2, E and after
    assert temperature.lambda_at(0) == pytest.approx(0.2, abs=1e-12)
    assert temperature.lambda_at(4) == pytest.approx(0.5, abs=1e-12)
    assert temperature.lambda_at(8) == pytest.approx(0.8, abs=1e-12)
    assert temperature.lambda_at(20) == pytest.approx(0.8, abs=1e-12)
    values = [temperature.lambda_at(e) for e in range(9)]
    assert values == sorted(values)


def test_global_temperature_starts_as_the_official_one():
    temperature = GlobalTemperature()
    temperature.grl_lambda = 1.0
    tau = temperature(torch.randn(2, 3))
    assert tau.shape == (1, )
    # 1 + 20 * sigmoid(1), t starting at 1 (models/temp_global.py).
    assert tau.item() == pytest.approx(1 + 20 / (1 + math.exp(-1)), rel=1e-6)
    narrow = GlobalTemperature(tau_min=2.0, tau_range=1.0)
    narrow.grl_lambda = 1.0
    with torch.no_grad():
        narrow.raw_tau.fill_(-50.0)
        assert narrow(None).item() == pytest.approx(2.0)
        narrow.raw_tau.fill_(50.0)
        assert narrow(None).item() == pytest.approx(3.0)


def _logits(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(6, 5, generator=gen),
            3 * torch.randn(6, 5, generator=gen))


def test_global_temperature_ascends_the_loss_the_student_descends():
    preds_S, preds_T = _logits()
    temperature = GlobalTemperature(tau_range=5.0)
    lambda_ = 0.4
    temperature.grl_lambda = lambda_
    student = preds_S.clone().requires_grad_()
    CTKDLoss()(student, preds_T, temperature(preds_T)).backward()

    raw = temperature.raw_tau.detach().clone().double().requires_grad_()

    def loss_at(value):
        return CTKDLoss()(preds_S.double(), preds_T.double(),
                          1 + 5 * torch.sigmoid(value))

    loss_at(raw).backward()
    # The parameter's gradient is the loss's, times -lambda.
    assert temperature.raw_tau.grad.item() == pytest.approx(-lambda_ *
                                                            raw.grad.item(),
                                                            rel=1e-5)
    # One gradient step: the temperature raises the loss, the student
    # lowers it.
    step = 1e-2
    with torch.no_grad():
        before = loss_at(raw).item()
        moved = raw - step * temperature.raw_tau.grad.double()
        assert loss_at(moved).item() > before
        lowered = CTKDLoss()(preds_S - step * student.grad, preds_T,
                             temperature(preds_T))
        assert lowered.item() < CTKDLoss()(preds_S, preds_T,
                                           temperature(preds_T)).item()


def test_instance_temperature_reads_both_logits_detached():
    torch.manual_seed(0)
    preds_S, preds_T = _logits(1)
    module = InstanceTemperature(num_classes=5,
                                 hidden_channels=8,
                                 tau_range=5.0)
    module.grl_lambda = 0.7
    student = preds_S.clone().requires_grad_()
    temperature = module(preds_T)
    assert callable(temperature)
    tau = temperature(student)
    assert tau.shape == (6, )
    assert ((tau > 1) & (tau < 6)).all()
    first, _, second = module.mlp
    hidden = torch.relu(
        torch.cat([preds_T, preds_S], 1) @ first.weight.t() + first.bias)
    expected = 1 + 5 * torch.sigmoid(hidden @ second.weight.t() +
                                     second.bias).squeeze(1)
    torch.testing.assert_close(tau, expected)
    # Per sample: a sample's temperature depends on its own logits only.
    changed = student.detach().clone()
    changed[0] += 1
    others = temperature(changed)
    assert others[0] != tau[0]
    torch.testing.assert_close(others[1:], tau[1:])
    # The logits are read, not trained through the temperature.
    assert torch.autograd.grad(tau.sum(), student,
                               allow_unused=True) == (None, )


def test_instance_temperature_gradient_is_reversed():
    torch.manual_seed(0)
    preds_S, preds_T = _logits(2)
    module = InstanceTemperature(num_classes=5, hidden_channels=8)
    lambda_ = 0.25
    module.grl_lambda = lambda_
    CTKDLoss()(preds_S, preds_T, module(preds_T)).backward()
    reversed_grads = [p.grad.clone() for p in module.mlp.parameters()]
    module.zero_grad()
    # The same loss without the reversal layer: tau from the MLP directly.
    tau = 1 + 20 * torch.sigmoid(
        module.mlp(torch.cat([preds_T, preds_S], 1)).squeeze(1))
    CTKDLoss()(preds_S, preds_T, tau).backward()
    for reversed_grad, param in zip(reversed_grads, module.mlp.parameters()):
        torch.testing.assert_close(reversed_grad, -lambda_ * param.grad)
    assert any(g.abs().sum() > 0 for g in reversed_grads)


def test_instance_temperature_checks_its_inputs():
    module = InstanceTemperature(num_classes=5)
    module.grl_lambda = 1.0
    preds_S, preds_T = _logits()
    with pytest.raises(ValueError,
                       match='num_classes is 5, but the logits '
                       'have 4 classes'):
        module(preds_T[:, :4])(preds_S[:, :4])
    with pytest.raises(ValueError, match='preds_T must have the shape'):
        module(preds_T[:3])(preds_S)


def test_lambda_max_without_the_hook_and_a_warning():
    temperature = GlobalTemperature(lambda_max=0.5)
    with pytest.warns(UserWarning, match='CTKDCurriculumHook'):
        assert temperature.grl_lambda == 0.5
    temperature.grl_lambda = 0.1
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert temperature.grl_lambda == 0.1


@pytest.mark.parametrize('kwargs,message', [
    (dict(tau_min=0.0), 'tau_min must be > 0, got 0'),
    (dict(tau_range=-1.0), 'tau_range must be > 0, got -1'),
    (dict(lambda_min=-0.1), 'lambda_min must be >= 0, got -0.1'),
    (dict(lambda_min=0.5, lambda_max=0.4), 'lambda_max must be >= 0.5'),
    (dict(lambda_max=float('nan')), 'lambda_max must be a finite number'),
    (dict(curriculum_epochs=0), 'curriculum_epochs must be an integer >= 1'),
    (dict(curriculum_epochs=2.5), 'curriculum_epochs must be an integer'),
    (dict(curriculum_epochs=True), 'curriculum_epochs must be an integer'),
    (dict(first_epoch=2), 'first_epoch must be 0 or 1, got 2'),
])
def test_hyper_parameters_are_checked(kwargs, message):
    with pytest.raises(ValueError, match='GlobalTemperature: ' + message):
        GlobalTemperature(**kwargs)
    with pytest.raises(ValueError, match='InstanceTemperature: ' + message):
        InstanceTemperature(num_classes=3, **kwargs)


@pytest.mark.parametrize('kwargs,message', [
    (dict(num_classes=0), 'num_classes must be an integer >= 1, got 0'),
    (dict(num_classes=3, hidden_channels=0), 'hidden_channels must be an '
     'integer >= 1, got 0'),
])
def test_instance_sizes_are_checked(kwargs, message):
    with pytest.raises(ValueError, match='InstanceTemperature: ' + message):
        InstanceTemperature(**kwargs)


def test_registered():
    assert isinstance(MODELS.build(dict(type='GlobalTemperature')),
                      GlobalTemperature)
    built = MODELS.build(dict(type='InstanceTemperature', num_classes=10))
    assert isinstance(built, InstanceTemperature)
    assert built.mlp[0].in_features == 20
