"""What a teacher cache saves: one training step of NKD ResNet-34 ->
ResNet-18 with the teacher run online and read from a cache, beside the
plain ResNet-18 step, measured side by side (interleaved medians); the
cache's size per epoch and its read time per batch.

    python tools/analysis_tools/benchmark_teacher_cache.py [--repeats 10]
        [--batch 16] [--device cpu|cuda]

Random weights and random images of 224x224: the cost, not the accuracy.
"""
import argparse
import os
import tempfile
import time
from typing import Optional

import numpy as np
import torch

import mmcls_kd  # noqa: F401
from mmcls_kd.apis.throughput import synthetic_cache
from mmcls_kd.apis.timing import interleaved_medians

CONFIG = 'configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py'
BASELINE = 'configs/baseline/resnet18_8xb32_in1k.py'
DATASETS = {'CIFAR-100': (50000, 100), 'ImageNet': (1281167, 1000)}


def _steps(batch: int, device: str, cache_dir: str):
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample

    from mmcls_kd.apis import build_model

    def build(cfg):
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')  # init_weights logs every parameter
        model = build_model(cfg).to(device)
        logger.setLevel(level)
        return model, OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))

    plain, plain_optim = build(Config.fromfile(BASELINE))
    online_cfg = Config.fromfile(CONFIG)
    online_cfg.model.teacher_ckpt = None
    online_cfg.model.allow_random_teacher = True
    online, online_optim = build(online_cfg)
    cached_cfg = Config.fromfile(CONFIG)
    cached_cfg.model.teacher_cache = cache_dir
    cached, cached_optim = build(cached_cfg)
    for model in (online, cached):
        model.student.load_state_dict(plain.state_dict())
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 1000, (batch, ), generator=g)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 224, 224), generator=g,
                              dtype=torch.uint8) for _ in range(batch)],
        data_samples=[
            DataSample(metainfo=dict(sample_idx=i, epoch=0)).set_gt_label(
                int(label)) for i, label in enumerate(labels)
        ])
    return {
        'plain ResNet-18': lambda: plain.train_step(data, plain_optim),
        'NKD, teacher online': lambda: online.train_step(data, online_optim),
        'NKD, teacher cached': lambda: cached.train_step(data, cached_optim),
    }


def _read_time(cache_dir: str, batch: int, repeats: int) -> float:
    """Median seconds to read the logits of a batch of random rows."""
    from mmcls_kd.cache import CacheReader
    reader = CacheReader(cache_dir)
    rows = np.load(os.path.join(cache_dir, 'epoch_0.npy'),
                   mmap_mode='r').shape[0]
    g = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        index = g.choice(rows, batch, replace=False)
        start = time.perf_counter()
        reader.logits([0] * batch, index)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    print(f'device {args.device}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, batch {args.batch} of '
          f'224x224, medians of {args.repeats} interleaved repeats')
    with tempfile.TemporaryDirectory() as small, \
            tempfile.TemporaryDirectory() as large:
        synthetic_cache(small, args.batch, 1000)
        t = interleaved_medians(_steps(args.batch, args.device, small),
                                args.repeats, args.device)
        print('\none training step:')
        for name, value in t.items():
            print(f'  {name:<22} {value * 1e3:9.1f} ms')
        plain = t['plain ResNet-18']
        online = t['NKD, teacher online'] / plain
        cached = t['NKD, teacher cached'] / plain
        print(f'  online / plain   {online:6.3f}x')
        print(f'  cached / plain   {cached:6.3f}x   (goal <= 1.05x)')
        # Reads from a file larger than a batch: 100,000 ImageNet rows.
        synthetic_cache(large, 100000, 1000)
        read = _read_time(large, args.batch, 50)
        print(f'\nreading a batch of {args.batch} random rows (1000 classes, '
              f'float16): {read * 1e3:.2f} ms, {read / plain:.4f} of the '
              'plain step')
    print('\ncache size per epoch:')
    for name, (rows, classes) in DATASETS.items():
        for dtype in ('float16', 'float32'):
            mib = rows * _row_bytes(classes, dtype) / 2**20
            print(f'  {name:<10} full logits, {dtype}: {mib:10.1f} MiB')
        for k in (10, 50):
            mib = rows * _row_bytes(classes, 'float16', k) / 2**20
            print(f'  {name:<10} top-{k}, float16:    {mib:10.1f} MiB')


def _row_bytes(classes: int, dtype: str, topk: Optional[int] = None) -> int:
    """Bytes of a cache row, from the parts the cache stores."""
    from mmcls_kd.cache.store import record_parts
    parts = record_parts(dict(num_classes=classes, dtype=dtype, topk=topk))
    return sum(
        int(np.prod(shape)) * np.dtype(kind).itemsize
        for shape, kind in parts.values())


if __name__ == '__main__':
    main()
