"""Every loss of ``mmcls_kd.models.losses`` in half precision: bf16 logits
under CPU autocast (what ``--amp`` gives on a CPU) and fp16 logits (what a
GPU's autocast gives), against the same loss on the fp32 logits.

The loss modules are found through ``__all__`` when the tests are
collected, so a new loss is covered without touching this file. Inputs are
synthesised from the argument names of ``forward`` (logits ``preds_*``,
``gt_labels``); the losses that take features (``FEATURE_CASES`` of
``tests.reliability.helpers``) get theirs from a factory each.
"""
from typing import Dict

import pytest
import torch

import mmcls_kd.models.losses as losses
from tests.reliability.helpers import (FEATURE_CASES, LABEL_ARG, LOGIT_ARGS,
                                       build_loss_or_skip)

NUM_SAMPLES, NUM_CLASSES = 8, 10
LOGIT_LOSSES = [
    name for name in losses.__all__
    if name.endswith('Loss') and name not in FEATURE_CASES
]
EXTREME = 1e4

# (input dtype, autocast) per precision, and the tolerances met against
# fp32: loss relative, gradients relative to the largest fp32 gradient.
# Measured, worst over the losses of this package: bf16 1.2e-3 / 4.9e-3,
# fp16 1.2e-4 / 9.4e-4 (half-precision inputs are rounded; the losses
# compute in float32), fp32 under autocast 0 / 0.
PRECISIONS = {
    'bf16-autocast': (torch.bfloat16, True),
    'fp16': (torch.float16, False),
    'fp32-autocast': (torch.float32, True),
}
TOLERANCES = {
    'bf16-autocast': (2e-2, 2e-2),
    'fp16': (2e-3, 5e-3),
    'fp32-autocast': (1e-5, 1e-5),
}


def _labels(kind: str) -> torch.Tensor:
    hard = torch.arange(NUM_SAMPLES) % NUM_CLASSES
    if kind == 'hard':
        return hard
    # Mixup-style scores over two classes.
    other = (hard + 3) % NUM_CLASSES
    scores = torch.zeros(NUM_SAMPLES, NUM_CLASSES)
    scores[torch.arange(NUM_SAMPLES), hard] = 0.7
    scores[torch.arange(NUM_SAMPLES), other] = 0.3
    return scores


def _logits(kind: str) -> Dict[str, torch.Tensor]:
    rows = torch.arange(NUM_SAMPLES)
    target = rows % NUM_CLASSES
    if kind == 'ordinary':
        gen = torch.Generator().manual_seed(0)
        return {name: 3 * torch.randn(NUM_SAMPLES, NUM_CLASSES, generator=gen)
                for name in LOGIT_ARGS}
    confident = torch.full((NUM_SAMPLES, NUM_CLASSES), -EXTREME)
    confident[rows, target] = EXTREME
    student = confident.clone()
    if kind == 'confident-mixed':
        # Every other sample certain of a wrong class.
        wrong = rows[1::2]
        student[wrong] = -EXTREME
        student[wrong, (target[wrong] + 1) % NUM_CLASSES] = EXTREME
    return {'preds_S': student, 'preds_T': confident,
            'preds_W': confident.clone()}


def _run(loss, args, logits, labels, dtype, autocast):
    inputs = {}
    for arg in args:
        if arg == LABEL_ARG:
            inputs[arg] = labels
        else:
            inputs[arg] = logits[arg].clone().to(dtype).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        value = loss(**inputs)
    value.backward()
    grads = {arg: t.grad for arg, t in inputs.items()
             if arg != LABEL_ARG and t.grad is not None}
    return value.detach(), grads


def _reference(name, logit_kind, label_kind):
    loss, args = build_loss_or_skip(name)
    logits, labels = _logits(logit_kind), _labels(label_kind)
    try:
        reference = _run(loss, args, logits, labels, torch.float32, False)
    except (ValueError, TypeError) as err:
        pytest.skip(f'{name} does not take these synthesised inputs: {err}')
    return loss, args, logits, labels, reference


@pytest.mark.parametrize('label_kind', ['hard', 'mixed'])
@pytest.mark.parametrize('logit_kind', ['confident-right', 'confident-mixed'])
@pytest.mark.parametrize('precision', list(PRECISIONS))
@pytest.mark.parametrize('name', LOGIT_LOSSES)
def test_fully_confident_logits_give_finite_loss_and_gradients(
        name, precision, logit_kind, label_kind):
    loss, args, logits, labels, _ = _reference(name, logit_kind, label_kind)
    value, grads = _run(loss, args, logits, labels, *PRECISIONS[precision])
    assert torch.isfinite(value), value
    assert grads, 'no input received a gradient'
    for arg, grad in grads.items():
        assert torch.isfinite(grad).all(), arg


@pytest.mark.parametrize('label_kind', ['hard', 'mixed'])
@pytest.mark.parametrize('precision', list(PRECISIONS))
@pytest.mark.parametrize('name', LOGIT_LOSSES)
def test_ordinary_logits_match_fp32(name, precision, label_kind):
    loss, args, logits, labels, (ref_value, ref_grads) = _reference(
        name, 'ordinary', label_kind)
    value, grads = _run(loss, args, logits, labels, *PRECISIONS[precision])
    loss_rtol, grad_rtol = TOLERANCES[precision]
    assert value.dtype in (torch.float32, torch.float64)
    assert value.double().item() == pytest.approx(
        ref_value.double().item(), rel=loss_rtol)
    assert grads.keys() == ref_grads.keys()
    for arg, grad in grads.items():
        scale = ref_grads[arg].abs().max().double()
        error = (grad.double() - ref_grads[arg].double()).abs().max()
        assert error <= grad_rtol * scale, (arg, error.item(), scale.item())


def _run_case(name, dtype, autocast, scale=1.0):
    """The loss of ``FEATURE_CASES[name]`` on its inputs times ``scale``,
    cast to ``dtype``, and the gradients of the float inputs."""
    loss, floats, others = FEATURE_CASES[name](
        torch.Generator().manual_seed(0))
    leaves, inputs = [], dict(others)
    for arg, value in floats.items():
        values = value if isinstance(value, list) else [value]
        cast = [(v * scale).to(dtype).requires_grad_() for v in values]
        leaves += cast
        inputs[arg] = cast if isinstance(value, list) else cast[0]
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        value = loss(**inputs)
    value.backward()
    return value.detach(), [leaf.grad for leaf in leaves]


@pytest.mark.parametrize('precision', list(PRECISIONS))
@pytest.mark.parametrize('name', sorted(FEATURE_CASES))
def test_feature_losses_match_fp32(name, precision):
    ref_value, ref_grads = _run_case(name, torch.float32, False)
    value, grads = _run_case(name, *PRECISIONS[precision])
    loss_rtol, grad_rtol = TOLERANCES[precision]
    assert value.dtype in (torch.float32, torch.float64)
    assert value.double().item() == pytest.approx(
        ref_value.double().item(), rel=loss_rtol)
    for grad, ref in zip(grads, ref_grads):
        assert (grad is None) == (ref is None)
        if ref is None:
            continue
        scale = ref.abs().max().double().clamp_min(1e-12)
        error = (grad.double() - ref.double()).abs().max()
        assert error <= grad_rtol * scale, (error.item(), scale.item())


# Input scales of the large-input test other than 1e3: FSP's gradient grows
# with the cube of its inputs' scale (1e9 at 1e3, beyond float16's 65504
# whatever precision the loss computes in).
LARGE_SCALES = {'CRDLoss': 1.0, 'FSPLoss': 10.0}


@pytest.mark.parametrize('precision', list(PRECISIONS))
@pytest.mark.parametrize('name', sorted(FEATURE_CASES))
def test_feature_losses_stay_finite_on_large_inputs(name, precision):
    scale = LARGE_SCALES.get(name, 1e3)
    value, grads = _run_case(name, *PRECISIONS[precision], scale=scale)
    assert torch.isfinite(value), value
    assert any(g is not None for g in grads)
    assert all(torch.isfinite(g).all() for g in grads if g is not None)
