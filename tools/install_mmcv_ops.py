"""Install mmcv 2.1.0 with compiled ops into the running Python environment.

    python tools/install_mmcv_ops.py [--cache-dir DIR] [--rebuild] [--find]

Usually run through ``bash tools/install_mmcv_ops.sh``, which says when and
why. Steps:

1. Nothing to do when mmcv 2.1.0 is installed and ``mmcv.ops`` imports.
2. A wheel in the cache that fits this Python and platform is installed.
   The cache (``$MMCLS_KD_WHEEL_CACHE``, default
   ``~/.cache/mmcls_kd/wheels``) has one folder per torch build, because the
   compiled ops only load into the torch they were built against:
   ``torch-<torch.__version__>/`` (e.g. ``torch-2.14.1+cu130``, where built
   wheels go), then ``torch-<version without local part>/`` (e.g.
   ``torch-2.14.1``, for wheels put there by hand).
3. Otherwise mmcv's source package is downloaded, its C++ standard raised to
   C++20 when torch >= 2.10 (whose headers refuse anything older; mmcv 2.1.0
   asks for C++14/17), built into a wheel in the cache and installed.

mmcv-lite is uninstalled first: both packages are imported as ``mmcv``.
"""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Iterable, List, Optional, Sequence

MMCV_VERSION = '2.1.0'
CACHE_ENV = 'MMCLS_KD_WHEEL_CACHE'
DEFAULT_CACHE = osp.join('~', '.cache', 'mmcls_kd', 'wheels')
# setuptools < 70, as in the build seen working with torch 2.14: mmcv
# 2.1.0's setup.py imports pkg_resources and is built with
# --no-build-isolation (it must see the installed torch); `wheel` provides
# bdist_wheel to those setuptools releases. The environment's own
# setuptools is put back after the build (torch asks for a newer one).
BUILD_REQUIREMENTS = ('setuptools<70', 'wheel', 'ninja', 'psutil', 'numpy')
CXX20_FROM_TORCH = (2, 10)
_OLD_STANDARDS = re.compile(r'-std=c\+\+(14|17)\b')
OPS_CHECK = 'import mmcv.ops; from mmcv.ops import nms, RoIAlign'


class InstallError(RuntimeError):
    """A step failed; the message says which and what to do."""


def log(message: str) -> None:
    print(f'[install_mmcv_ops] {message}', flush=True)


def cache_root(cli_value: Optional[str] = None) -> str:
    root = cli_value or os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    return osp.abspath(osp.expanduser(root))


def cache_dirs(root: str, torch_version: str) -> List[str]:
    """Folders searched for a wheel, most specific first; the first is
    where a new build goes."""
    public = torch_version.split('+')[0]
    names = [f'torch-{torch_version}']
    if public != torch_version:
        names.append(f'torch-{public}')
    return [osp.join(root, name) for name in names]


def needs_cxx20(torch_version: str) -> bool:
    match = re.match(r'(\d+)\.(\d+)', torch_version)
    if match is None:
        raise InstallError(f'cannot read the torch version {torch_version!r}')
    return tuple(map(int, match.groups())) >= CXX20_FROM_TORCH


def raise_cxx_standard(setup_py: str) -> int:
    """Replace ``-std=c++14``/``-std=c++17`` by ``-std=c++20`` in mmcv's
    ``setup.py``; returns the number of flags replaced."""
    with open(setup_py) as f:
        text = f.read()
    patched, count = _OLD_STANDARDS.subn('-std=c++20', text)
    if count == 0:
        raise InstallError(
            f'{setup_py} names no -std=c++14/-std=c++17 flag: this is not '
            f'the mmcv {MMCV_VERSION} source this script knows how to patch')
    with open(setup_py, 'w') as f:
        f.write(patched)
    return count


def _supported_tags() -> set:
    try:
        from packaging import tags
    except ImportError:  # pip always carries a copy
        from pip._vendor.packaging import tags
    return {str(tag) for tag in tags.sys_tags()}


def wheel_tags(filename: str) -> set:
    """``mmcv-2.1.0-cp311-cp311-linux_x86_64.whl`` ->
    ``{'cp311-cp311-linux_x86_64'}`` (compressed tag sets expanded)."""
    parts = osp.basename(filename)[:-len('.whl')].split('-')
    if len(parts) not in (5, 6):
        return set()
    python, abi, platform = parts[-3:]
    return {f'{p}-{a}-{s}' for p in python.split('.')
            for a in abi.split('.') for s in platform.split('.')}


def find_wheel(folders: Sequence[str],
               supported: Optional[Iterable[str]] = None) -> Optional[str]:
    """The first ``mmcv-2.1.0-*.whl`` in ``folders`` that this interpreter
    can install, or ``None``."""
    supported = set(_supported_tags() if supported is None else supported)
    for folder in folders:
        pattern = osp.join(folder, f'mmcv-{MMCV_VERSION}-*.whl')
        for path in sorted(glob.glob(pattern)):
            if wheel_tags(path) & supported:
                return path
    return None


def pip(*args: str, env: Optional[dict] = None) -> None:
    command = [sys.executable, '-m', 'pip', *args]
    log('$ ' + ' '.join(command))
    if subprocess.run(command, env=env).returncode != 0:
        raise InstallError(f'pip {args[0]} failed (see its output above)')


def installed_version(name: str) -> Optional[str]:
    import importlib
    from importlib import metadata
    importlib.invalidate_caches()  # pip may have changed site-packages
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def ops_import_error() -> Optional[str]:
    """``None`` when mmcv's ops import in a fresh interpreter, else the
    last line of the error."""
    proc = subprocess.run([sys.executable, '-c', OPS_CHECK],
                          capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f'exit status {proc.returncode}'


def build_wheel(out_dir: str, torch_version: str, jobs: str) -> str:
    """Download mmcv's source, build a wheel with its ops into ``out_dir``
    and return its path."""
    setuptools = installed_version('setuptools')
    pip('install', *BUILD_REQUIREMENTS)
    try:
        return _download_and_build(out_dir, torch_version, jobs)
    finally:
        if setuptools:
            pip('install', f'setuptools=={setuptools}')


def _download_and_build(out_dir: str, torch_version: str, jobs: str) -> str:
    with tempfile.TemporaryDirectory(prefix='mmcv-build-') as work:
        pip('download', '--no-deps', '--no-binary', ':all:',
            '--no-build-isolation', f'mmcv=={MMCV_VERSION}', '-d', work)
        archives = glob.glob(osp.join(work, f'mmcv-{MMCV_VERSION}.tar.gz'))
        if not archives:
            raise InstallError(f'pip download left no mmcv-{MMCV_VERSION}'
                               f'.tar.gz in {work}')
        with tarfile.open(archives[0]) as archive:
            if hasattr(tarfile, 'data_filter'):
                archive.extractall(work, filter='data')
            else:
                archive.extractall(work)
        source = osp.join(work, f'mmcv-{MMCV_VERSION}')
        if needs_cxx20(torch_version):
            count = raise_cxx_standard(osp.join(source, 'setup.py'))
            log(f'torch {torch_version} needs C++20: raised {count} '
                '-std flags in mmcv\'s setup.py')
        built = osp.join(work, 'wheel')
        env = dict(os.environ, MMCV_WITH_OPS='1', MAX_JOBS=jobs)
        log(f'compiling mmcv {MMCV_VERSION} ops with MAX_JOBS={jobs} '
            '(about 20 minutes on 2 cores)')
        pip('wheel', '--no-build-isolation', '--no-deps', source, '-w', built,
            env=env)
        wheels = glob.glob(osp.join(built, f'mmcv-{MMCV_VERSION}-*.whl'))
        if not wheels:
            raise InstallError(f'pip wheel left no mmcv wheel in {built}')
        os.makedirs(out_dir, exist_ok=True)
        target = osp.join(out_dir, osp.basename(wheels[0]))
        # Copy then rename: an interrupted copy never looks like a wheel.
        shutil.copyfile(wheels[0], target + '.partial')
        os.replace(target + '.partial', target)
    return target


def install_wheel(wheel: str) -> None:
    if installed_version('mmcv-lite'):
        # Same files as mmcv: removing it after mmcv would delete mmcv's.
        pip('uninstall', '-y', 'mmcv-lite')
    pip('install', '--force-reinstall', '--no-deps', wheel)
    pip('install', wheel)  # its dependencies (mmengine, numpy, ...)


def torch_version() -> str:
    try:
        import torch
    except ImportError as err:
        raise InstallError(
            f'torch is not importable ({err}): install torch and torchvision '
            'first; mmcv\'s ops are compiled against them') from err
    return torch.__version__


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=f'Install mmcv {MMCV_VERSION} with compiled ops '
        '(needed by MMDetection)')
    parser.add_argument(
        '--cache-dir',
        help=f'wheel cache (default: ${CACHE_ENV}, else {DEFAULT_CACHE})')
    parser.add_argument(
        '--rebuild',
        action='store_true',
        help='build from source even when a cached wheel fits')
    parser.add_argument(
        '--find',
        action='store_true',
        help='only print the cached wheel that fits this Python and torch '
        '(exit status 1 when there is none); install nothing')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    version = torch_version()
    if args.find:
        folders = cache_dirs(cache_root(args.cache_dir), version)
        wheel = find_wheel(folders)
        if wheel is None:
            raise InstallError(f'no cached mmcv {MMCV_VERSION} wheel for '
                               f'torch {version} and this Python in '
                               f'{" or ".join(folders)}')
        print(wheel)
        return wheel
    if (installed_version('mmcv') == MMCV_VERSION and not args.rebuild
            and ops_import_error() is None):
        log(f'mmcv {MMCV_VERSION} with ops is already installed')
        return 'installed'
    folders = cache_dirs(cache_root(args.cache_dir), version)
    wheel = None if args.rebuild else find_wheel(folders)
    if wheel:
        log(f'cached wheel for torch {version}: {wheel}')
    else:
        log(f'no cached wheel for torch {version} in {" or ".join(folders)}: '
            'building from source')
        wheel = build_wheel(folders[0], version,
                            os.environ.get('MAX_JOBS') or '2')
        log(f'built {wheel}')
    install_wheel(wheel)
    error = ops_import_error()
    if error:
        raise InstallError(
            f'mmcv installed from {wheel}, but its ops do not import: {error}.'
            f' A wheel built for another torch? Run again with --rebuild.')
    log(f'done: mmcv {MMCV_VERSION} with ops for torch {version} '
        f'({OPS_CHECK!r} works)')
    return wheel


if __name__ == '__main__':
    try:
        main()
    except InstallError as err:
        sys.exit(f'[install_mmcv_ops] error: {err}')
