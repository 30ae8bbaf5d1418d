"""What the golden tests of the feature losses share: float64 inputs that
record their gradients, and the gradients of a loss."""
from typing import Callable, List, Sequence

import torch


def leaves(*shapes: Sequence[int], seed: int = 0,
           scale: float = 1.0) -> List[torch.Tensor]:
    """Random float64 tensors of ``shapes`` that require gradients."""
    gen = torch.Generator().manual_seed(seed)
    return [(scale * torch.randn(*shape, generator=gen,
                                 dtype=torch.float64)).requires_grad_()
            for shape in shapes]


def value_and_grads(loss: Callable, *inputs: torch.Tensor):
    """``loss(*inputs)`` and its gradients with respect to the inputs that
    require them (None for the others)."""
    value = loss(*inputs)
    wanted = [x for x in inputs if x.requires_grad]
    grads = iter(torch.autograd.grad(value, wanted, allow_unused=True))
    return value.detach(), [next(grads) if x.requires_grad else None
                            for x in inputs]


def assert_same(ours, reference, rel: float = 1e-10) -> None:
    """Values and gradients of two ``value_and_grads`` results agree."""
    (value, grads), (ref_value, ref_grads) = ours, reference
    torch.testing.assert_close(value, ref_value, rtol=rel, atol=0)
    for grad, ref in zip(grads, ref_grads):
        assert (grad is None) == (ref is None)
        if ref is not None:
            torch.testing.assert_close(grad, ref, rtol=rel, atol=1e-14)
