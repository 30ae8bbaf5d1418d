"""mmcls_kd: NKD, USKD and the knowledge-distillation baselines they are
compared with, as an MMPretrain / MMRazor plugin.

Importing the package applies the compatibility fixes (before MMRazor is
imported) and registers every component in the ``mmcls_kd`` scope.
"""
from .compat import apply_compat

apply_compat()

from . import apis, cache, checkpoint, datasets, engine  # noqa: E402,F401
from . import models, reproduction  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401
