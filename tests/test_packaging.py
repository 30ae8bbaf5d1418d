"""A normal (non-editable) build ships the configs where MMEngine resolves
``mmcls_kd::<path>``."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_configs_and_model_index(tmp_path):
    # Build from a copy: a build in the source tree would replace the
    # editable install's symlinks under mmcls_kd/.mim with copies.
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    src = tmp_path / 'src'
    for name in files:
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((Path(REPO) / name).read_bytes())
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '-q', '-w', str(tmp_path / 'dist'),
         str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = next((tmp_path / 'dist').glob('mmcls_kd-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ('mmcls_kd/.mim/model-index.yml',
                     'mmcls_kd/.mim/configs/uskd/uskd_resnet18_8xb32_in1k.py',
                     'mmcls_kd/.mim/configs/_base_/default_runtime.py',
                     'mmcls_kd/registry.py'):
        assert expected in names, expected
    assert not any(n.startswith('tests/') for n in names)
