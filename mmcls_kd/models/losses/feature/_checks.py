"""Shape reporting shared by the feature losses."""
from typing import Any

from torch import Tensor


def shape_of(value: Any) -> Any:
    """The shape of a tensor as a tuple, of a sequence as a list of shapes,
    or the type name of anything else (for error messages)."""
    if isinstance(value, Tensor):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        return [shape_of(item) for item in value]
    return type(value).__name__


def as_map(feature: Tensor) -> Tensor:
    """A pooled (N, C) feature as an (N, C, 1, 1) map; maps unchanged."""
    return feature[:, :, None, None] if feature.dim() == 2 else feature
