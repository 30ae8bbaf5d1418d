"""Commands answer without noise: --help and argument errors come before
the training stack is imported; the stack's warnings known to be harmless
are silenced, and nothing else is."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import REPO, STUDENT_CONFIG
from tests.reliability.helpers import train_in_process

_PROBE = """
import runpy, sys
sys.argv = [{tool!r}] + {args!r}
try:
    runpy.run_path({tool!r}, run_name='__main__')
except SystemExit:
    pass
print('IMPORTED', sorted(m for m in ('torch', 'mmcls_kd', 'mmpretrain')
                         if m in sys.modules))
"""


def _python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=REPO)
    env.pop('PYTHONWARNINGS', None)  # the default filters, as a user has
    return subprocess.run([sys.executable, '-c', code],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)


@pytest.mark.parametrize('tool, args', [
    ('tools/train.py', ['--help']),
    ('tools/train.py', []),
    ('tools/test.py', ['--help']),
    ('tools/test.py', ['a.py', 'b.pth', '--launcher', 'nope']),
])
def test_help_and_argument_errors_import_nothing_heavy(tool, args):
    proc = _python(_PROBE.format(tool=tool, args=args))
    assert proc.stdout.strip().endswith('IMPORTED []'), proc.stderr


def test_importing_the_package_prints_no_warning():
    proc = _python('import mmcls_kd')
    assert proc.returncode == 0
    assert proc.stderr == ''


def test_an_unknown_warning_still_shows():
    # The filters are narrow: a deprecation of another message is kept.
    proc = _python('import mmcls_kd, warnings\n'
                   "warnings.warn('pkg_resources is gone', UserWarning)")
    assert 'pkg_resources is gone' in proc.stderr


def test_a_training_log_has_no_file_client_notices(tmp_path):
    train_in_process(STUDENT_CONFIG, tmp_path, {
        'train_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': 1
    })
    log, = glob.glob(osp.join(tmp_path, '*', '*.log'))
    text = open(log).read()
    assert 'Saving checkpoint at 1 epochs' in text
    assert 'FileClient' not in text and 'HardDiskBackend' not in text
