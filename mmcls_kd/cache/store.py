"""The teacher's logits on disk: one memory-mapped array per epoch, a row
per training sample, written by the cache builder and read by
:class:`~mmcls_kd.cache.teacher.CachedTeacher`.

An epoch's array is written as ``epoch_<e>.npy.partial`` and renamed when
complete, so a reader never sees half an epoch and a killed build redoes only
the epoch it was in.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

MANIFEST = 'manifest.json'
DTYPES = ('float16', 'float32')


def epoch_file(cache_dir: str, epoch: int) -> str:
    return osp.join(cache_dir, f'epoch_{epoch}.npy')


def read_manifest(cache_dir: str) -> dict:
    """The manifest of ``cache_dir``; a clear error when there is none."""
    path = osp.join(cache_dir, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'teacher cache {cache_dir} has no {MANIFEST}: build it with '
            'tools/cache_teacher.py CONFIG --epochs E --out DIR')
    with open(path) as f:
        return json.load(f)


def write_manifest(cache_dir: str, manifest: dict) -> None:
    """Write the manifest through a temporary file renamed into place."""
    path = osp.join(cache_dir, MANIFEST)
    with open(f'{path}.partial', 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(f'{path}.partial', path)


def complete_epochs(cache_dir: str, epochs: int) -> List[int]:
    """The epochs below ``epochs`` whose arrays are complete."""
    return [e for e in range(epochs) if osp.isfile(epoch_file(cache_dir, e))]


def record_parts(manifest: dict) -> dict:
    """``{name: (row shape, dtype)}`` of what a row of the cache holds: the
    logits, or with ``topk`` the K largest logits, their classes, the
    target classes (two for mixed images) and their logits, the log-sum-exp
    of the other classes at the row's temperature, and the row's mean and
    standard deviation."""
    k = manifest.get('topk')
    if not k:
        return {'logits': ((manifest['num_classes'], ), manifest['dtype'])}
    slots = 2 if manifest.get('mixing') else 1
    return {
        'values': ((k, ), manifest['dtype']),
        'index': ((k, ), 'int32'),
        'target': ((slots, ), 'int32'),
        'target_logit': ((slots, ), 'float32'),
        'rest_lse': ((), 'float32'),
        'mean': ((), 'float32'),
        'std': ((), 'float32'),
    }


def mixed_rows(mixing: dict) -> int:
    """Rows of an epoch of mixed batches: one per position of every batch
    of every process."""
    return mixing['iters_per_epoch'] * mixing['world_size'] * mixing[
        'batch_size']


def mixed_row_index(mixing: dict, step: int, rank: int,
                    count: int) -> List[int]:
    """The rows of the ``count`` images of batch ``step`` (of its epoch) on
    process ``rank``."""
    first = (step * mixing['world_size'] + rank) * mixing['batch_size']
    return list(range(first, first + count))


class EpochWriter:
    """Rows of one epoch's arrays, written by any number of processes (each
    opens the arrays created by the main one and fills its rows).

    Args:
        cache_dir (str): the cache.
        epoch (int): the epoch.
        rows (int): rows of the epoch.
        parts (dict): ``{name: (row shape, dtype)}`` of the arrays; the first
            is ``epoch_<e>.npy``, the others ``epoch_<e>.<name>.npy``.
        create (bool): create the files (the main process, before the
            others open them).
    """

    def __init__(self, cache_dir: str, epoch: int, rows: int, parts: dict,
                 create: bool) -> None:
        mode = 'w+' if create else 'r+'
        self.files = part_files(cache_dir, epoch, list(parts))
        self.arrays = {
            name: np.lib.format.open_memmap(
                f'{self.files[name]}.partial', mode=mode, dtype=dtype,
                shape=(rows, ) + tuple(shape))
            for name, (shape, dtype) in parts.items()
        }

    def write(self, rows: Sequence[int], record: dict) -> None:
        """Fill ``rows`` of every part from ``record`` (tensors or arrays)."""
        index = np.asarray(rows)
        for name, array in self.arrays.items():
            value = record[name]
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            array[index] = value.astype(array.dtype)

    def close(self) -> None:
        """Flush this process's rows to the files."""
        for array in self.arrays.values():
            array.flush()
        self.arrays = {}

    def publish(self) -> None:
        """Rename the complete arrays into place, the first last (the main
        process, once every writer has closed)."""
        for path in reversed(list(self.files.values())):
            os.replace(f'{path}.partial', path)


def part_files(cache_dir: str, epoch: int, names: List[str]) -> dict:
    """The file of each part of an epoch (the first: ``epoch_<e>.npy``)."""
    first = epoch_file(cache_dir, epoch)
    return {
        name: first if i == 0 else first[:-len('.npy')] + f'.{name}.npy'
        for i, name in enumerate(names)
    }


class CacheReader:
    """The cached logits of a batch, by (epoch, sample index).

    Args:
        cache_dir (str): the cache.
    """

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir
        self.manifest = read_manifest(cache_dir)
        self._parts: Dict[int, Dict[str, np.ndarray]] = {}

    def _epoch(self, epoch: int) -> Dict[str, np.ndarray]:
        if epoch not in self._parts:
            if not osp.isfile(epoch_file(self.cache_dir, epoch)):
                raise FileNotFoundError(
                    f'teacher cache {self.cache_dir} has no epoch {epoch} '
                    f'(it holds {self.manifest["epochs"]}): build more '
                    'epochs with tools/cache_teacher.py --epochs')
            names = list(record_parts(self.manifest))
            self._parts[epoch] = {
                name: np.load(path, mmap_mode='r')
                for name, path in part_files(self.cache_dir, epoch,
                                             names).items()
            }
        return self._parts[epoch]

    def _restore(self, epoch: int, rows) -> np.ndarray:
        """Float32 logits of ``rows`` of ``epoch``."""
        parts = self._epoch(epoch)
        if not self.manifest.get('topk'):
            return np.asarray(parts['logits'][rows], dtype=np.float32)
        from .topk import restore_topk
        return restore_topk({name: np.asarray(array[rows])
                             for name, array in parts.items()},
                            self.manifest['num_classes'],
                            self.manifest['temperature'])

    def mixed_logits(self, epoch: int, iteration: int, rank: int,
                     count: int,
                     device: Optional[torch.device] = None) -> torch.Tensor:
        """Float32 logits of a mixed batch: that of process ``rank`` at the
        run's ``iteration`` (counted from the start of the run)."""
        mixing = self.manifest['mixing']
        step = iteration - epoch * mixing['iters_per_epoch']
        if not 0 <= step < mixing['iters_per_epoch']:
            raise RuntimeError(
                f'teacher cache {self.cache_dir}: iteration {iteration} is '
                f'not in epoch {epoch} of {mixing["iters_per_epoch"]} '
                'iterations; the run does not follow the cached batches')
        rows = mixed_row_index(mixing, step, rank, count)
        return torch.from_numpy(self._restore(epoch, rows)).to(device)

    def logits(self, epochs: Sequence[int], indices: Sequence[int],
               device: Optional[torch.device] = None) -> torch.Tensor:
        """Float32 logits, one row per (epoch, index) pair."""
        epochs, indices = np.asarray(epochs), np.asarray(indices)
        out = np.empty((len(indices), self.manifest['num_classes']),
                       dtype=np.float32)
        for epoch in np.unique(epochs):
            here = epochs == epoch
            out[here] = self._restore(int(epoch), indices[here])
        return torch.from_numpy(out).to(device)
