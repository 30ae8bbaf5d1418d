"""mmcls_kd: NKD, USKD and their baselines as an MMPretrain/MMRazor plugin."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/NAME, following ``-r`` includes."""
    requirements = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line.startswith('-r '):
                requirements += read_requirements(line[3:].strip())
            elif line:
                requirements.append(line)
    return requirements


def add_mim_extension() -> None:
    """Put configs/ and model-index.yml under mmcls_kd/.mim, where MMEngine
    resolves ``mmcls_kd::<path>`` (as MMPretrain's wheel does).

    Editable installs get symlinks, so edits to configs show at once; every
    other build gets copies, so the installed package is self-contained.
    """
    editable = any(cmd in sys.argv for cmd in ('develop', 'editable_wheel'))
    building = any(cmd in sys.argv for cmd in ('install', 'bdist_wheel',
                                               'sdist', 'build', 'egg_info'))
    if not (editable or building):
        return
    mim = osp.join(HERE, 'mmcls_kd', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in ('configs', 'model-index.yml'):
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmcls_kd', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmcls_kd',
        version=version(),
        description='Normalized KD and Universal Self-KD for image '
        'classification: an MMPretrain / MMRazor plugin',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(include=('mmcls_kd', 'mmcls_kd.*')),
        include_package_data=True,
        package_data={'mmcls_kd': ['.mim/configs/**/*', '.mim/model-index.yml']},
        install_requires=read_requirements('runtime.txt'),
        # mmcv comes as an extra: `lite` (no compiled ops, classification)
        # or the full mmcv that tools/install_mmcv_ops.sh builds (`det`).
        extras_require={
            'lite': read_requirements('lite.txt'),
            'tests': read_requirements('tests.txt'),
            'export': read_requirements('export.txt'),
            'det': read_requirements('det.txt'),
            'timm': read_requirements('timm.txt'),
        },
        zip_safe=False)
