"""The small fixes that make MMEngine, MMPretrain and MMRazor run on current
PyTorch. Each module holds one fix and says why it exists."""
from .quiet import silence_known_logs, silence_known_warnings

# Before the imports below bring in MMEngine and mmcv, which warn at import.
silence_known_warnings()

from .checkpoint import patch_mmengine_local_loader  # noqa: E402
from .mmrazor_torch2 import (  # noqa: E402
    patch_mmrazor_inplace_false, patch_mmrazor_quantization)
from .timm_classifier import patch_timm_classifier  # noqa: E402


def register_config_package() -> None:
    """Let ``mmcls_kd::<path>`` name configs: MMEngine resolves the
    ``package::`` prefix only for packages in its fixed module-to-package
    table."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmcls_kd', 'mmcls_kd')


_applied = False


def require_mmcv() -> None:
    """mmcv is an extra (lite or with ops), so say which when it is absent
    instead of letting MMPretrain fail on ``import mmcv`` deep inside."""
    import importlib.util
    if importlib.util.find_spec('mmcv') is None:
        raise ImportError(
            'mmcls_kd needs mmcv 2.1.0: `pip install "mmcls_kd[lite]"` '
            '(mmcv-lite, enough for classification) or, for detection, '
            'mmcv with compiled ops built by tools/install_mmcv_ops.sh')


def apply_compat() -> None:
    """Apply every fix once; must run before the first ``import mmrazor``."""
    global _applied
    if _applied:
        return
    require_mmcv()
    patch_mmrazor_quantization()
    patch_mmrazor_inplace_false()
    patch_mmengine_local_loader()
    patch_timm_classifier()
    register_config_package()
    silence_known_logs()
    _applied = True


__all__ = [
    'apply_compat', 'patch_mmrazor_quantization',
    'patch_mmrazor_inplace_false', 'patch_mmengine_local_loader',
    'patch_timm_classifier', 'register_config_package', 'require_mmcv',
    'silence_known_logs', 'silence_known_warnings'
]
