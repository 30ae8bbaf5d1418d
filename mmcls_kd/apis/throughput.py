"""Training throughput of the shipped configs on synthetic data in device
memory: images per second of one training step, median of interleaved
repeats after warm-up, and the step's peak memory, each beside the plain
student of its table.

Used by ``tools/analysis_tools/device_check.py``; a table of cells, not a
timed test: the ratios are measured side by side in one run.
"""
import csv
import io
import os.path as osp
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import torch

from .teachers import write_atomic

#: ImageNet (224x224, batch 256) and CIFAR (32x32, batch 64) rows: the
#: plain student first, the ratios of its table are to it.
IMAGENET_ROWS = {
    'ResNet-18': 'configs/baseline/resnet18_8xb32_in1k.py',
    'KD R34->R18': 'configs/kd/kd_resnet34_resnet18_8xb32_in1k.py',
    'NKD R34->R18': 'configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py',
    'NKD R34->R18 cached': 'configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py',
    'USKD R18': 'configs/uskd/uskd_resnet18_8xb32_in1k.py',
    'DKD R34->R18': 'configs/dkd/dkd_resnet34_resnet18_8xb32_in1k.py',
}
CIFAR_ROWS = {
    'ResNet8x4': 'configs/baseline/resnet8x4_1xb64_cifar100.py',
    'NKD R32x4->R8x4':
    'configs/nkd/nkd_resnet32x4_resnet8x4_1xb64_cifar100.py',
    'CRD R32x4->R8x4':
    'configs/crd/crd_resnet32x4_resnet8x4_1xb64_cifar100.py',
}
#: (precision, channels_last) columns; ImageNet also AMP + channels_last.
IMAGENET_MODES = [('fp32', False), ('amp', False), ('amp', True)]
CIFAR_MODES = [('fp32', False), ('amp', False)]


@dataclass
class Cell:
    """One step to time: a config's model at a size, batch and precision."""
    table: str
    row: str
    config: str
    size: int
    batch: int
    precision: str = 'fp32'
    channels_last: bool = False
    cached: bool = False
    compiled: bool = False
    results: Dict[str, float] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return self.precision + (' + channels_last'
                                 if self.channels_last else '') + (
                                     ' + compiled teacher'
                                     if self.compiled else '')


def default_cells(scale: float = 1.0) -> List[Cell]:
    """The table's cells; ``scale`` shrinks the image size and batch (a
    check of the code on a CPU)."""

    def sized(value: int, least: int) -> int:
        return max(least, int(value * scale))

    cells = []
    for row, config in IMAGENET_ROWS.items():
        for precision, channels_last in IMAGENET_MODES:
            cells.append(
                Cell('ImageNet', row, config, sized(224, 32), sized(256, 2),
                     precision, channels_last, cached=row.endswith('cached')))
    for row, config in CIFAR_ROWS.items():
        for precision, channels_last in CIFAR_MODES:
            cells.append(
                Cell('CIFAR-100', row, config, 32, sized(64, 2), precision,
                     channels_last))
    return cells


def synthetic_cache(out: str, rows: int, classes: int) -> None:
    """A teacher cache of random logits in ``out`` (one epoch of ``rows``
    rows), as a cached training step reads one: for benchmarks."""
    from mmcls_kd.cache.store import EpochWriter, write_manifest
    writer = EpochWriter(
        out, 0, rows, {'logits': ((classes, ), 'float16')}, create=True)
    writer.write(list(range(rows)), {'logits': torch.randn(rows, classes)})
    writer.close()
    writer.publish()
    write_manifest(out, dict(num_classes=classes, epochs=1, dtype='float16'))


def _model_config(cell: Cell, cache_dir: Optional[str]):
    from mmengine.config import Config
    cfg = Config.fromfile(cell.config)
    model = cfg.model
    if model.get('type') == 'TeacherDistill':
        model.teacher_ckpt = None
        model.allow_random_teacher = True
        if cell.cached:
            model.teacher_cache = cache_dir
        if cell.compiled:
            model.teacher_compile = True
    if cell.channels_last and model.get('type') in ('TeacherDistill',
                                                    'SelfDistillation'):
        model.channels_last = True
    return cfg


def build_step(cell: Cell, device: str,
               cache_dir: Optional[str]) -> Callable[[], None]:
    """One training step of ``cell`` on a fixed synthetic batch in device
    memory (images as uint8, preprocessed on the device as in training)."""
    from mmengine.logging import MMLogger
    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample

    from mmcls_kd.apis.model import build_model
    from mmcls_kd.engine.amp import DeviceAmpOptimWrapper
    cfg = _model_config(cell, cache_dir)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # init_weights logs every parameter
    try:
        model = build_model(cfg).to(device)
    finally:
        logger.setLevel(level)
    if cell.channels_last:
        model.to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    optim = DeviceAmpOptimWrapper(optimizer=optimizer) \
        if cell.precision == 'amp' else OptimWrapper(optimizer)
    num_classes = 1000 if cell.table == 'ImageNet' else 100
    inputs = torch.randint(0, 256, (cell.batch, 3, cell.size, cell.size),
                           dtype=torch.uint8, device=device)
    if cell.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    samples = [
        DataSample(metainfo=dict(sample_idx=i, epoch=0)).set_gt_label(
            i % num_classes) for i in range(cell.batch)
    ]
    batch = dict(inputs=inputs, data_samples=samples)

    def step() -> None:
        model.train_step(batch, optim)

    step.parameter_bytes = sum(  # weights, gradients and momentum
        p.numel() * p.element_size() * (3 if p.requires_grad else 1)
        for p in model.parameters())
    return step


def measure(cells: List[Cell],
            device: str,
            repeats: int = 5,
            steps: int = 3,
            warmup: int = 2,
            progress: Callable[[str], None] = print) -> List[Cell]:
    """Fill each cell's ``results``: images per second (median of
    ``repeats`` rounds of ``steps`` steps, all cells interleaved round by
    round after ``warmup`` steps each), the ratio to the plain student of
    its table and precision, and the step's peak memory in GiB (its own
    weights, gradients and momentum plus what the step allocates; other
    cells' models are resident meanwhile and left out)."""
    with tempfile.TemporaryDirectory() as cache_dir:
        rows = max([c.batch for c in cells if c.cached] or [1])
        if any(c.cached for c in cells):
            synthetic_cache(cache_dir, rows, 1000)
        step_fns = []
        for cell in cells:
            progress(f'building {cell.table} {cell.row} ({cell.mode})')
            step_fns.append(build_step(cell, device, cache_dir))
        times: List[List[float]] = [[] for _ in cells]
        peaks = [0.0 for _ in cells]
        for fn in step_fns:
            for _ in range(warmup):
                fn()
        _sync(device)
        for _ in range(repeats):
            for i, fn in enumerate(step_fns):
                if device == 'cuda':
                    torch.cuda.reset_peak_memory_stats()
                    before = torch.cuda.memory_allocated()
                _sync(device)
                start = time.perf_counter()
                for _ in range(steps):
                    fn()
                _sync(device)
                times[i].append((time.perf_counter() - start) / steps)
                if device == 'cuda':
                    peaks[i] = max(peaks[i], (torch.cuda.max_memory_allocated()
                                              - before + fn.parameter_bytes)
                                   / 2**30)
        for cell, cell_times, peak in zip(cells, times, peaks):
            seconds = statistics.median(cell_times)
            cell.results = dict(
                seconds=seconds, images_per_s=cell.batch / seconds)
            if device == 'cuda':
                cell.results['peak_gib'] = peak
    _ratios(cells)
    return cells


def _ratios(cells: List[Cell]) -> None:
    """Step time relative to the plain student of the same table, precision
    and memory format (1.00 for the student itself), and throughput
    relative to the same row in fp32."""
    plain = {(c.table, c.precision, c.channels_last): c.results['seconds']
             for c in cells if c.config.startswith('configs/baseline')}
    fp32 = {(c.table, c.row): c.results['seconds'] for c in cells
            if c.precision == 'fp32' and not c.channels_last}
    for cell in cells:
        key = (cell.table, cell.precision, cell.channels_last)
        if key in plain:
            cell.results['vs_plain'] = cell.results['seconds'] / plain[key]
        if (cell.table, cell.row) in fp32:
            cell.results['speedup_vs_fp32'] = fp32[(
                cell.table, cell.row)] / cell.results['seconds']


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def write_table(cells: List[Cell], out_dir: str, machine: str) -> str:
    """Write ``throughput.csv`` and ``throughput.md`` to ``out_dir``; return
    the Markdown."""
    header = ['table', 'model', 'mode', 'batch', 'images/s', 'step ms',
              'step vs plain student', 'throughput vs fp32', 'peak GiB']
    rows = []
    for c in cells:
        r = c.results
        rows.append([
            c.table, c.row, c.mode, c.batch, f'{r["images_per_s"]:.0f}',
            f'{r["seconds"] * 1e3:.1f}',
            f'{r["vs_plain"]:.2f}x' if 'vs_plain' in r else '',
            f'{r["speedup_vs_fp32"]:.2f}x' if 'speedup_vs_fp32' in r else '',
            f'{r["peak_gib"]:.2f}' if 'peak_gib' in r else ''
        ])
    table = io.StringIO(newline='')
    writer = csv.writer(table)
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(
        osp.join(out_dir, 'throughput.csv'),
        lambda f: f.write(table.getvalue().encode()))
    lines = [f'Measured on {machine}.', '',
             '| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(map(str, row)) + ' |' for row in rows]
    markdown = '\n'.join(lines) + '\n'
    write_atomic(
        osp.join(out_dir, 'throughput.md'),
        lambda f: f.write(markdown.encode()))
    return markdown
