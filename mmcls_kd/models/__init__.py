from . import algorithms, backbones, distillers, heads, losses  # noqa: F401
