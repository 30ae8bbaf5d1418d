import copy
import functools
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

import mmcls_kd  # noqa: F401

# Under pytest-xdist (`-n 2`) each worker takes one core: two workers with
# two threads each would only fight over the machine's two cores.
if os.environ.get('PYTEST_XDIST_WORKER'):
    torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICK = osp.join(REPO, 'configs', 'quickstart')
KD_CONFIG = osp.join(QUICK, 'kd_resnet34-w32_resnet18-w16_1xb32_digits.py')
STUDENT_CONFIG = osp.join(QUICK, 'resnet18-w16_1xb32_digits.py')
TEACHER_CONFIG = osp.join(QUICK, 'resnet34-w32_1xb32_digits.py')

# Small runs: 64 training images, 2 iterations an epoch at batch 32.
TINY = [
    'train_dataloader.dataset.indices=64',
    'val_dataloader.dataset.indices=64',
    'test_dataloader.dataset.indices=64',
    'default_hooks.logger.interval=1',
]


#: ``MMCLS_KD_CUDA_TESTS_ON_CPU=1`` runs the ``cuda`` tests on the CPU, to
#: check the tests themselves where no GPU is at hand (the parts that need
#: CUDA itself skip, saying so).
CUDA_TESTS_ON_CPU = os.environ.get('MMCLS_KD_CUDA_TESTS_ON_CPU') == '1'


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available() or CUDA_TESTS_ON_CPU:
        return
    skip = pytest.mark.skip(
        reason='needs a CUDA GPU (torch.cuda.is_available() is False); '
        'run python -m pytest -m cuda tests/cuda on a GPU machine, or '
        'tools/analysis_tools/device_check.py')
    for item in items:
        if 'cuda' in item.keywords:
            item.add_marker(skip)


@functools.lru_cache(maxsize=None)
def _parsed_config(path: str):
    from mmengine.config import Config
    return Config.fromfile(path)


def parsed_config(path: str):
    """``Config.fromfile(path)``, parsed once per test process (the config
    tests read each of the ~130 configs several times); a copy, so a test
    may change it."""
    return copy.deepcopy(_parsed_config(osp.abspath(path)))


def randomize_batchnorm(model: torch.nn.Module) -> torch.nn.Module:
    """Random BatchNorm weights and statistics, so that a tensor loaded
    into the wrong place changes the logits."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    return model


def free_port() -> int:
    """A TCP port nothing listens on now, for a rendezvous of test ranks:
    fixed ports collide with another suite running on the same machine."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def load_tool(path: str):
    """The module of a script under tools/ (``tools/reproduce.py``), loaded
    from its file so that its ``main`` runs in-process; tools/ is not put on
    ``sys.path``."""
    import importlib.util
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(
        f'mmcls_kd_tool_{name}', osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_env() -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHONWARNINGS'] = 'ignore'
    return env


def run_tool(args, timeout=600, check=True) -> subprocess.CompletedProcess:
    """Run a script under tools/ as a user would, in a fresh process."""
    proc = subprocess.run([sys.executable] + list(args), cwd=REPO,
                          env=tool_env(), capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


@pytest.fixture(scope='session')
def random_teacher_ckpt(tmp_path_factory) -> str:
    """A checkpoint of the quick-start teacher with random weights, saved
    as MMEngine saves training checkpoints (state_dict + meta)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmcls_kd.registry import MODELS
    cfg = Config.fromfile(KD_CONFIG)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(cfg.model.teacher)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save({'meta': {'epoch': 0}, 'state_dict': teacher.state_dict()},
               path)
    return str(path)
