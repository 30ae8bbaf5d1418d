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


def test_patch_is_a_no_op_once_mmrazor_is_imported():
    from mmcls_kd.compat import patch_mmrazor_quantization
    assert 'mmrazor.structures' in sys.modules
    assert patch_mmrazor_quantization() is False


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
