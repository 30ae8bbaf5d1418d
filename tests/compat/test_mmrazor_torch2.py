"""MMRazor 1.0.0 imports and runs on torch 2 once mmcls_kd is imported."""
import subprocess
import sys

import pytest
import torch
from mmengine.utils import digit_version

IMPORT_RAZOR = 'import mmrazor.models, mmrazor.engine; print("imported")'


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(
    digit_version(torch.__version__) < digit_version('2.0.0'),
    reason='MMRazor 1.0.0 imports unpatched on torch < 2')
def test_mmrazor_fails_without_the_fix():
    proc = _python(IMPORT_RAZOR)
    assert proc.returncode != 0
    assert 'torch>=1.13' in proc.stderr


def test_mmrazor_imports_after_mmcls_kd():
    proc = _python('import mmcls_kd; ' + IMPORT_RAZOR +
                   '; from mmrazor.registry import MODELS;'
                   'print(len(MODELS))')
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.split()
    assert lines[0] == 'imported'
    assert int(lines[1]) > 100


def test_quantization_stand_in_fails_loudly():
    from mmrazor.structures.quantization import QConfigHandler
    with pytest.raises(RuntimeError, match='quantization'):
        QConfigHandler(dict())


def test_patch_installs_stand_ins_once_and_only_before_mmrazor():
    # The compat module alone (not the package, whose import applies it),
    # in a fresh interpreter: the first call installs the stand-ins, a
    # second one, after MMRazor's structures are imported, leaves them.
    from mmcls_kd.compat import mmrazor_torch2
    proc = _python(
        'import importlib.util, sys\n'
        f'spec = importlib.util.spec_from_file_location("m", '
        f'{mmrazor_torch2.__file__!r})\n'
        'm = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(m)\n'
        'print(m.patch_mmrazor_quantization())\n'
        'stand_in = sys.modules["mmrazor.structures.quantization"]\n'
        'import mmrazor.structures\n'
        'print(m.patch_mmrazor_quantization())\n'
        'print(sys.modules["mmrazor.structures.quantization"] is stand_in, '
        'type(stand_in).__name__)\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ['True', 'False', 'True',
                                   '_QuantizationStandIn']


def test_algorithms_turn_inplace_activations_off(random_teacher_ckpt):
    """MMRazor's walk stops at torch 2's plain-dict ``_modules``; ours
    reaches every ReLU of student and teacher."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmcls_kd.registry import MODELS
    from tests.conftest import KD_CONFIG
    cfg = Config.fromfile(KD_CONFIG)
    cfg.model.teacher_ckpt = random_teacher_ckpt
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(cfg.model)
    flags = [m.inplace for m in model.modules()
             if isinstance(getattr(m, 'inplace', None), bool)]
    assert len(flags) > 10 and not any(flags)
