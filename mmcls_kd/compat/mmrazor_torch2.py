"""Let MMRazor 1.0.0 import on torch >= 2.

``mmrazor.structures`` star-imports ``mmrazor.structures.quantization``, whose
modules import names that torch 2 removed from ``torch.ao.quantization`` and
then raise "``torch>=1.13`` is not installed properly" (open-mmlab/mmrazor
#615, #632). Distillation never touches quantization, so the two quantization
modules are replaced by stand-ins before MMRazor is first imported: every
attribute of a stand-in is a placeholder class that raises a clear error when
it is used, so quantization fails loudly instead of MMRazor failing to import.
"""
import sys
import types

_STUBBED = ('mmrazor.structures.quantization',
            'mmrazor.structures.quantization.backend_config')


def _placeholder(name: str) -> type:

    def _unavailable(*args, **kwargs):
        raise RuntimeError(
            f'mmrazor quantization ({name}) is unavailable: mmcls_kd '
            'disables it so that MMRazor imports on torch >= 2.')

    return type(name, (), {'__init__': _unavailable})


class _QuantizationStandIn(types.ModuleType):
    __all__: list = []
    __path__: list = []

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        return _placeholder(name)


def patch_mmrazor_quantization() -> bool:
    """Install the stand-ins. Returns True when they were installed now.

    Must run before any ``mmrazor`` import: once MMRazor's real quantization
    module has failed, Python has already raised.
    """
    if 'mmrazor.structures' in sys.modules:
        return False
    for name in _STUBBED:
        if name not in sys.modules:
            module = _QuantizationStandIn(name)
            module.__file__ = __file__
            sys.modules[name] = module
    return True


def patch_mmrazor_inplace_false() -> None:
    """Make MMRazor's algorithms really turn in-place activations off.

    ``BaseAlgorithm.set_module_inplace_false`` walks ``module._modules`` only
    while it is an ``OrderedDict``; torch 2 stores submodules in a plain
    ``dict``, so the walk stops at the top and every ``ReLU(inplace=True)``
    stays in place. A recorder on such a module's input then records the
    tensor after the activation overwrote it. Imports MMRazor's algorithms,
    so it runs after :func:`patch_mmrazor_quantization` (see
    ``apply_compat``).
    """
    from mmrazor.models.algorithms.base import BaseAlgorithm

    def set_module_inplace_false(self, architecture, varstr: str) -> None:
        modules = architecture.modules() if hasattr(architecture,
                                                    'modules') else []
        for module in modules:
            if isinstance(getattr(module, 'inplace', None), bool):
                module.inplace = False

    BaseAlgorithm.set_module_inplace_false = set_module_inplace_false
