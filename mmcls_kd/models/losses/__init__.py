from . import feature  # noqa: F401
from .baselines import *  # noqa: F401,F403
from .baselines import __all__ as _baselines
from .nkd import NKDLoss
from .uskd import USKDLoss

__all__ = ['NKDLoss', 'USKDLoss'] + list(_baselines)
