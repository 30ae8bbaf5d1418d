"""Float64 arithmetic with plain Python loops for the golden values of the
baseline loss tests, and the checks they share. Nothing here imports the
code under test."""
import math

import pytest
import torch


def log_softmax(values):
    top = max(values)
    log_total = top + math.log(sum(math.exp(v - top) for v in values))
    return [v - log_total for v in values]


def softmax(values):
    return [math.exp(v) for v in log_softmax(values)]


def kl(p, log_q):
    """KL(p || q) for probabilities ``p`` and log-probabilities ``log_q``."""
    return sum(pk * (math.log(pk) - lq) for pk, lq in zip(p, log_q) if pk > 0)


def std(values):
    """Unbiased standard deviation."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean)**2 for v in values) / (len(values) - 1))


def zscore(values, base=1.0):
    """Logit standardisation (arXiv 2403.01427) as its official code
    computes it: ``(z - mean) / (std + 1e-7) / base`` with the unbiased
    standard deviation."""
    mean = sum(values) / len(values)
    spread = std(values) + 1e-7
    return [(v - mean) / spread / base for v in values]


def target_of(label, num_classes):
    """The class index, or the first of the largest scores."""
    if isinstance(label, int):
        return label
    return max(range(num_classes), key=lambda k: (label[k], -k))


def logits(num_samples, num_classes, seed, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(
        num_samples, num_classes, generator=generator,
        dtype=torch.float64) * scale


def labels(num_samples, num_classes, seed, soft):
    """Class indices, or Mixup-like scores mixing two classes (every third
    row a single class)."""
    generator = torch.Generator().manual_seed(seed)
    first = torch.randint(num_classes, (num_samples, ), generator=generator)
    if not soft:
        return first
    second = torch.randint(num_classes, (num_samples, ), generator=generator)
    lam = torch.rand(num_samples, generator=generator, dtype=torch.float64)
    lam[::3] = 1.0
    scores = torch.zeros(num_samples, num_classes, dtype=torch.float64)
    rows = torch.arange(num_samples)
    scores[rows, first] += lam
    scores[rows, second] += 1 - lam
    return scores


def numeric_grad(function, values, eps=1e-6):
    """Central differences of ``function`` (nested lists -> float) at the
    (N, C) tensor ``values``."""
    grad = torch.zeros_like(values)
    for n in range(values.shape[0]):
        for k in range(values.shape[1]):
            shifted = []
            for step in (eps, -eps):
                moved = values.clone()
                moved[n, k] += step
                shifted.append(function(moved.tolist()))
            grad[n, k] = (shifted[0] - shifted[1]) / (2 * eps)
    return grad


def assert_finite_with_grad(loss, *inputs):
    """``loss`` is finite and so is the gradient of every input that
    requires one."""
    assert torch.isfinite(loss), loss
    loss.backward()
    for tensor in inputs:
        if tensor.requires_grad:
            assert torch.isfinite(tensor.grad).all()


def autocast_heads(num_classes, num_heads, seed):
    """Logits of ``num_heads`` linear heads under CPU bfloat16 autocast; the
    caller computes the loss inside the returned context."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(4, 16, generator=generator)
    heads = [torch.nn.Linear(16, num_classes) for _ in range(num_heads)]
    return features, heads


def soft_row_error(loss_call, num_classes=10):
    """A soft label row summing to 2 is rejected, naming the shape."""
    bad = torch.zeros(4, num_classes)
    bad[:, 0] = 1.0
    bad[:, 1] = 1.0
    with pytest.raises(ValueError, match=rf'summing to 1.*\(4, {num_classes}'
                       rf'\)|\(4, {num_classes}\).*summing to 1'):
        loss_call(bad)
