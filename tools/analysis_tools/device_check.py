"""The check to run when a GPU machine is at hand: the CUDA tests, then a
throughput table of the shipped configs, in at most ``--budget`` seconds.

On a development machine, once, with package registries reachable::

    python tools/analysis_tools/device_check.py --prepare [DIR] [--python 3.12]

downloads the wheels the GPU machine lacks (MMEngine, mmcv-lite,
MMPretrain, MMRazor, ``setuptools<81``, scikit-learn for the quick-start
data and what they pull in) for its Python 3.12 into DIR (default
``.device_wheels/``, git-ignored). On the GPU machine (torch, torchvision,
numpy, opencv, timm, rich and pytest preinstalled; no registry)::

    python tools/analysis_tools/device_check.py [--wheels DIR] [--out DIR]

installs them with ``pip install --no-index --no-deps --target`` into a
temporary folder, runs ``pytest -m cuda tests/cuda``, prints the tests'
results and the throughput table (images per second, the ratio to the plain
student, peak memory; ``torch.compile`` timed apart), writes them as CSV
and Markdown to ``--out`` (or ``$DEVICE_CHECK_OUT``, default
``work_dirs/device_check/<date>_<time>``, so no check overwrites another's)
and exits non-zero if a CUDA test failed.
Without CUDA it prints what it would check and exits 0.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WHEELS = osp.join(REPO, '.device_wheels')
#: What the GPU machine lacks; pip resolves the rest of the tree.
REQUIREMENTS = [
    'mmengine==0.10.7', 'mmcv-lite==2.1.0', 'mmpretrain==1.2.0',
    'mmrazor==1.0.0', 'setuptools<81', 'scikit-learn', 'joblib'
]
#: Preinstalled there (and their own dependencies): never shadowed. SciPy
#: (35 MB) is left out too: only scikit-learn's import needs it, and the
#: quick-start digits are then read from scikit-learn's data file
#: (mmcls_kd.datasets.digits), so the folder stays within what a device
#: run can carry.
LEFT_OUT = ('torch', 'torchvision', 'numpy', 'opencv', 'timm', 'rich',
            'pytest', 'pillow', 'pygments', 'markdown_it_py', 'mdurl',
            'packaging', 'nvidia', 'triton', 'scipy')
PYTHON, PLATFORMS = '3.12', ('manylinux2014_x86_64', 'manylinux_2_17_x86_64',
                             'manylinux_2_28_x86_64')


def prepare(out: str, python: str = PYTHON) -> int:
    """Download the wheels for the GPU machine's Python into ``out``."""
    os.makedirs(out, exist_ok=True)
    command = [
        sys.executable, '-m', 'pip', 'download', '--dest', out,
        '--only-binary=:all:', '--python-version', python,
        '--implementation', 'cp', '--abi', 'cp' + python.replace('.', '')
    ]
    for platform in PLATFORMS:
        command += ['--platform', platform]
    subprocess.run(command + REQUIREMENTS, check=True)
    for wheel in glob.glob(osp.join(out, '*.whl')):
        if osp.basename(wheel).lower().startswith(LEFT_OUT):
            os.remove(wheel)
    kept = sorted(glob.glob(osp.join(out, '*.whl')))
    size = sum(osp.getsize(w) for w in kept) / 2**20
    kept = [osp.basename(w) for w in kept]
    print(f'{len(kept)} wheels, {size:.0f} MiB, in {out}:')
    for name in kept:
        print(f'  {name}')
    return 0


def _importable() -> bool:
    import importlib.util
    return all(
        importlib.util.find_spec(name) is not None
        for name in ('mmengine', 'mmcv', 'mmpretrain', 'mmrazor', 'sklearn'))


def install(wheels: str) -> str:
    """Install ``wheels`` without their dependencies into a temporary
    folder; return it (empty when everything imports already)."""
    if _importable():
        return ''
    found = glob.glob(osp.join(wheels, '*.whl'))
    if not found:
        raise SystemExit(
            f'no wheels in {wheels} and MMEngine/MMPretrain/MMRazor do not '
            'import: run --prepare on a machine with a package registry and '
            'copy the folder here')
    target = tempfile.mkdtemp(prefix='device_check_')
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-index', '--no-deps',
        '--quiet', '--target', target
    ] + found, check=True)
    return target


def run_tests(env: Dict[str, str], out: str, timeout: float) -> List[tuple]:
    """``pytest -m cuda tests/cuda``; ``(name, outcome)`` of every test."""
    report = osp.join(out, 'cuda_tests.xml')
    try:
        subprocess.run([
            sys.executable, '-m', 'pytest', '-m', 'cuda', 'tests/cuda', '-q',
            '-p', 'no:cacheprovider', f'--junitxml={report}'
        ], cwd=REPO, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f'CUDA tests stopped after {timeout:.0f} s')
    if not osp.isfile(report):
        return [('tests/cuda (no report)', 'failed')]
    results = []
    for case in ET.parse(report).getroot().iter('testcase'):
        name = f'{case.get("classname")}::{case.get("name")}'
        outcome = 'passed'
        for child in case:
            if child.tag in ('failure', 'error'):
                outcome = 'failed'
            elif child.tag == 'skipped':
                outcome = 'skipped'
        results.append((name, outcome))
    return results


def time_compile(device: str, batch: int, size: int) -> str:
    """NKD ResNet-34 -> ResNet-18 with the teacher compiled against eager:
    the first step (compilation) and the median step after."""
    import statistics

    import torch

    from mmcls_kd.apis.throughput import Cell, build_step

    def timed(step) -> float:
        start = time.perf_counter()
        step()
        if device == 'cuda':
            torch.cuda.synchronize()
        return time.perf_counter() - start

    lines = []
    for compiled in (False, True):
        cell = Cell('ImageNet', 'NKD R34->R18',
                    'configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py', size,
                    batch, compiled=compiled)
        step = build_step(cell, device, None)
        first = timed(step)
        times = [timed(step) for _ in range(5)]
        lines.append(f'{cell.mode}: first step {first:.1f} s, then '
                     f'{statistics.median(times) * 1e3:.1f} ms a step')
    return '\n'.join(lines)


def dry_run() -> int:
    """What the check would do on a GPU machine."""
    from mmcls_kd.apis.throughput import default_cells
    print('No CUDA device: nothing is run. On a GPU machine this check runs')
    listed = subprocess.run([
        sys.executable, '-m', 'pytest', '-m', 'cuda', 'tests/cuda',
        '--collect-only', '-q', '-p', 'no:cacheprovider'
    ], cwd=REPO, capture_output=True, text=True)
    tests = [line for line in listed.stdout.splitlines() if '::' in line]
    print(f'- the {len(tests)} CUDA tests (pytest -m cuda tests/cuda):')
    for test in tests:
        print(f'    {test}')
    cells = default_cells()
    print(f'- a throughput table of {len(cells)} cells (images/s, ratio to '
          'the plain student, peak memory):')
    for cell in cells:
        print(f'    {cell.table:<9} {cell.row:<20} {cell.mode:<22} batch '
              f'{cell.batch} at {cell.size}x{cell.size}')
    print('- NKD R34->R18 with torch.compile on the teacher, timed apart')
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--prepare', nargs='?', const=WHEELS, metavar='DIR',
                        help='download the wheels for the GPU machine')
    parser.add_argument('--python', default=PYTHON,
                        help='with --prepare: the Python version of the GPU '
                        'machine')
    parser.add_argument('--wheels', default=WHEELS)
    parser.add_argument('--out', default=os.environ.get(
        'DEVICE_CHECK_OUT',
        osp.join(REPO, 'work_dirs', 'device_check',
                 time.strftime('%Y%m%d_%H%M%S'))))
    parser.add_argument('--budget', type=float, default=360,
                        help='seconds for the whole check')
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(args.prepare, args.python)
    import torch
    if not torch.cuda.is_available():
        return dry_run()
    start = time.time()
    os.makedirs(args.out, exist_ok=True)
    target = install(args.wheels)
    env = dict(os.environ)
    paths = [p for p in (target, REPO, env.get('PYTHONPATH')) if p]
    env['PYTHONPATH'] = os.pathsep.join(paths)
    sys.path[:0] = [p for p in (target, REPO) if p]

    # Tests first, leaving about half the budget to the table.
    results = run_tests(env, args.out, timeout=args.budget * 0.5)
    failed = [name for name, outcome in results if outcome == 'failed']
    for outcome in ('passed', 'skipped', 'failed'):
        names = [n for n, o in results if o == outcome]
        print(f'CUDA tests {outcome}: {len(names)}')
        if outcome != 'passed':
            for name in names:
                print(f'    {name}')

    import mmcls_kd  # noqa: F401
    from mmcls_kd.apis.throughput import default_cells, measure, write_table
    from mmcls_kd.models.losses.checks import no_value_checks
    machine = (f'{torch.cuda.get_device_name()}, torch {torch.__version__}, '
               f'CUDA {torch.version.cuda}')
    left = args.budget - (time.time() - start)
    cells = default_cells()
    # About 40 s to build and warm up; then rounds of all the cells.
    repeats = 5 if left > 200 else 3
    os.chdir(REPO)
    with no_value_checks():
        measure(cells, 'cuda', repeats=repeats)
        print(write_table(cells, args.out, machine))
        if args.budget - (time.time() - start) > 60:
            timing = time_compile('cuda', 256, 224)
            print(timing)
            with open(osp.join(args.out, 'compile.txt'), 'w') as f:
                f.write(timing + '\n')
    print(f'device check: {time.time() - start:.0f} s; results in {args.out}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
