"""tools/install_mmcv_ops.py without touching the environment: pip is
replaced by a recorder, so the cache lookup, the C++20 patch of mmcv's
source and the order of the install steps are checked without compiling."""
import io
import os
import os.path as osp
import re
import tarfile

import pytest

from tests.tools.test_extract_student import load_tool

CP311 = {'cp311-cp311-linux_x86_64', 'cp311-abi3-linux_x86_64',
         'py3-none-any'}
WHEEL = 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl'
# The shape of the flags in mmcv 2.1.0's setup.py: cxx and nvcc lists.
SETUP_PY = """\
extra_compile_args = {'cxx': []}
if parse_version(torch.__version__) <= parse_version('1.12.1'):
    extra_compile_args['cxx'] = ['-std=c++14']
else:
    extra_compile_args['cxx'] = ['-std=c++17']
extra_compile_args['nvcc'] += ['-std=c++17']
"""


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/install_mmcv_ops.py')


def _touch(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b'')
    return str(folder / name)


@pytest.mark.parametrize('version, expected', [
    ('2.14.1+cu130', True), ('2.10.0', True), ('2.9.1+cpu', False),
    ('1.13.1', False), ('3.0.0', True)])
def test_cxx20_from_torch_2_10(tool, version, expected):
    assert tool.needs_cxx20(version) is expected


def test_cxx_flags_are_raised_to_cxx20(tool, tmp_path):
    setup_py = tmp_path / 'setup.py'
    setup_py.write_text(SETUP_PY)
    assert tool.raise_cxx_standard(str(setup_py)) == 3
    text = setup_py.read_text()
    assert text.count("'-std=c++20'") == 3
    assert 'c++14' not in text and 'c++17' not in text
    # Nothing else changes.
    assert text.replace('c++20', 'c++17') == SETUP_PY.replace('c++14',
                                                              'c++17')


def test_source_without_flags_is_refused(tool, tmp_path):
    setup_py = tmp_path / 'setup.py'
    setup_py.write_text("extra_compile_args = {'cxx': ['-std=c++20']}\n")
    with pytest.raises(tool.InstallError, match='no -std=c'):
        tool.raise_cxx_standard(str(setup_py))


def test_cache_folders_exact_torch_build_first(tool, tmp_path):
    root = str(tmp_path)
    assert tool.cache_dirs(root, '2.14.1+cu130') == [
        osp.join(root, 'torch-2.14.1+cu130'), osp.join(root, 'torch-2.14.1')]
    assert tool.cache_dirs(root, '2.14.1') == [osp.join(root, 'torch-2.14.1')]


def test_cache_root_from_option_then_environment(tool, monkeypatch):
    monkeypatch.setenv('MMCLS_KD_WHEEL_CACHE', '/env/cache')
    assert tool.cache_root('/cli/cache') == '/cli/cache'
    assert tool.cache_root() == '/env/cache'
    monkeypatch.delenv('MMCLS_KD_WHEEL_CACHE')
    assert tool.cache_root() == osp.expanduser(
        '~/.cache/mmcls_kd/wheels')


def test_wheel_tags_expand_compressed_sets(tool):
    assert tool.wheel_tags(WHEEL) == {'cp311-cp311-linux_x86_64'}
    assert tool.wheel_tags(
        'mmcv-2.1.0-cp311-cp311-manylinux1_x86_64.manylinux_2_5_x86_64.whl'
    ) == {'cp311-cp311-manylinux1_x86_64', 'cp311-cp311-manylinux_2_5_x86_64'}


def test_find_wheel_fits_python_and_prefers_the_exact_torch(tool, tmp_path):
    exact, public = tmp_path / 'torch-2.14.1+cu130', tmp_path / 'torch-2.14.1'
    folders = [str(exact), str(public)]
    _touch(public, 'mmcv-2.1.0-cp310-cp310-linux_x86_64.whl')
    _touch(public, 'mmcv-2.2.0-cp311-cp311-linux_x86_64.whl')
    assert tool.find_wheel(folders, CP311) is None
    by_hand = _touch(public, WHEEL)
    assert tool.find_wheel(folders, CP311) == by_hand
    built = _touch(exact, WHEEL)
    assert tool.find_wheel(folders, CP311) == built


class _Environment:
    """Stands in for pip and the interpreter's state."""

    def __init__(self, tool, monkeypatch, torch='2.14.1+cu130',
                 installed=('mmcv-lite', )):
        self.calls = []
        self.installed = {name: '2.1.0' for name in installed}
        self.installed['setuptools'] = '80.10.2'
        self.ops_work = False
        monkeypatch.setattr(tool, 'torch_version', lambda: torch)
        monkeypatch.setattr(tool, '_supported_tags', lambda: CP311)
        monkeypatch.setattr(tool, 'pip', self.pip)
        monkeypatch.setattr(tool, 'installed_version', self.installed.get)
        monkeypatch.setattr(
            tool, 'ops_import_error', lambda: None
            if self.ops_work else "No module named 'mmcv._ext'")

    def pip(self, *args, env=None):
        self.calls.append(args)
        if args[0] == 'uninstall':
            self.installed.pop(args[-1])
        elif args[0] == 'install' and args[-1].endswith('.whl'):
            self.installed['mmcv'] = '2.1.0'
            self.ops_work = True
        elif args[0] == 'install':
            for requirement in args[1:]:
                if requirement.startswith('setuptools'):
                    self.installed['setuptools'] = re.split(
                        '[<=]+', requirement)[1]
        elif args[0] == 'download':
            self._sdist(args[args.index('-d') + 1])
        elif args[0] == 'wheel':
            self.build_env = env
            source = args[args.index('--no-deps') + 1]
            with open(osp.join(source, 'setup.py')) as f:
                self.built_setup_py = f.read()
            out = args[args.index('-w') + 1]
            os.makedirs(out, exist_ok=True)
            open(osp.join(out, WHEEL), 'wb').close()

    @staticmethod
    def _sdist(folder):
        data = SETUP_PY.encode()
        info = tarfile.TarInfo('mmcv-2.1.0/setup.py')
        info.size = len(data)
        with tarfile.open(osp.join(folder, 'mmcv-2.1.0.tar.gz'), 'w:gz') as f:
            f.addfile(info, io.BytesIO(data))


def test_cached_wheel_replaces_mmcv_lite_without_building(
        tool, tmp_path, monkeypatch):
    env = _Environment(tool, monkeypatch)
    cached = _touch(tmp_path / 'torch-2.14.1', WHEEL)
    assert tool.main(['--cache-dir', str(tmp_path)]) == cached
    assert env.calls == [('uninstall', '-y', 'mmcv-lite'),
                         ('install', '--force-reinstall', '--no-deps', cached),
                         ('install', cached)]


def test_nothing_to_do_when_ops_already_import(tool, tmp_path, monkeypatch):
    env = _Environment(tool, monkeypatch, installed=('mmcv', ))
    env.ops_work = True
    assert tool.main(['--cache-dir', str(tmp_path)]) == 'installed'
    assert env.calls == []


def test_build_patches_the_source_and_caches_the_wheel(
        tool, tmp_path, monkeypatch):
    env = _Environment(tool, monkeypatch, installed=())
    monkeypatch.setenv('MAX_JOBS', '3')
    wheel = tool.main(['--cache-dir', str(tmp_path)])
    assert wheel == str(tmp_path / 'torch-2.14.1+cu130' / WHEEL)
    assert osp.isfile(wheel)
    steps = [call[0] for call in env.calls]
    assert steps == ['install', 'download', 'wheel', 'install', 'install',
                     'install']
    assert 'setuptools<70' in env.calls[0]
    assert '--no-build-isolation' in env.calls[2]
    # The build's setuptools is replaced by the environment's own.
    assert env.calls[3] == ('install', 'setuptools==80.10.2')
    assert env.installed['setuptools'] == '80.10.2'
    assert env.calls[4] == ('install', '--force-reinstall', '--no-deps',
                            wheel)
    assert env.build_env['MMCV_WITH_OPS'] == '1'
    assert env.build_env['MAX_JOBS'] == '3'
    assert "'-std=c++20'" in env.built_setup_py
    assert 'c++17' not in env.built_setup_py
    # A second run installs from the cache.
    env.calls.clear()
    del env.installed['mmcv']
    env.ops_work = False
    assert tool.main(['--cache-dir', str(tmp_path)]) == wheel
    assert [call[0] for call in env.calls] == ['install', 'install']


def test_old_torch_builds_with_mmcvs_own_flags(tool, tmp_path, monkeypatch):
    env = _Environment(tool, monkeypatch, torch='2.1.2', installed=())
    monkeypatch.delenv('MAX_JOBS', raising=False)
    tool.main(['--cache-dir', str(tmp_path)])
    assert env.built_setup_py == SETUP_PY
    assert env.build_env['MAX_JOBS'] == '2'


def test_wheel_whose_ops_fail_is_reported(tool, tmp_path, monkeypatch):
    _Environment(tool, monkeypatch, installed=())
    cached = _touch(tmp_path / 'torch-2.14.1', WHEEL)
    monkeypatch.setattr(tool, 'ops_import_error',
                        lambda: 'undefined symbol: _ZN3c10')
    with pytest.raises(tool.InstallError) as err:
        tool.main(['--cache-dir', str(tmp_path)])
    assert cached in str(err.value) and 'undefined symbol' in str(err.value)
    assert '--rebuild' in str(err.value)


def test_failed_build_still_restores_setuptools(tool, tmp_path, monkeypatch):
    env = _Environment(tool, monkeypatch, installed=())
    record = env.pip

    def compiler_error(*args, env=None):
        record(*args, env=env)
        if args[0] == 'wheel':
            raise tool.InstallError('pip wheel failed (see its output above)')

    monkeypatch.setattr(tool, 'pip', compiler_error)
    with pytest.raises(tool.InstallError, match='pip wheel failed'):
        tool.main(['--cache-dir', str(tmp_path)])
    assert env.calls[-1] == ('install', 'setuptools==80.10.2')
    assert not (tmp_path / 'torch-2.14.1+cu130').exists()


def test_find_prints_the_cached_wheel_and_installs_nothing(
        tool, tmp_path, monkeypatch, capsys):
    env = _Environment(tool, monkeypatch)
    with pytest.raises(tool.InstallError, match='no cached mmcv 2.1.0 wheel '
                       r'for torch 2.14.1\+cu130'):
        tool.main(['--find', '--cache-dir', str(tmp_path)])
    cached = _touch(tmp_path / 'torch-2.14.1', WHEEL)
    assert tool.main(['--find', '--cache-dir', str(tmp_path)]) == cached
    assert capsys.readouterr().out.strip() == cached
    assert env.calls == []
