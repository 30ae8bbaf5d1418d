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
    """Rows of one epoch's array, written by any number of processes
    (each opens the array created by the main one and fills its rows).

    Args:
        cache_dir (str): the cache.
        epoch (int): the epoch.
        shape (tuple): ``(samples, classes)``.
        dtype (str): ``'float16'`` or ``'float32'``.
        create (bool): create the file (the main process, before the
            others open it).
    """

    def __init__(self, cache_dir: str, epoch: int, shape: Sequence[int],
                 dtype: str, create: bool) -> None:
        self.final = epoch_file(cache_dir, epoch)
        self.partial = f'{self.final}.partial'
        mode = 'w+' if create else 'r+'
        self.array = np.lib.format.open_memmap(
            self.partial, mode=mode, dtype=dtype, shape=tuple(shape))

    def write(self, rows: Sequence[int], logits: torch.Tensor) -> None:
        self.array[np.asarray(rows)] = logits.detach().float().cpu().numpy(
        ).astype(self.array.dtype)

    def close(self) -> None:
        """Flush this process's rows to the file."""
        self.array.flush()
        del self.array

    def publish(self) -> None:
        """Rename the complete array into place (the main process, once
        every writer has closed)."""
        os.replace(self.partial, self.final)


class CacheReader:
    """The cached logits of a batch, by (epoch, sample index).

    Args:
        cache_dir (str): the cache.
    """

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir
        self.manifest = read_manifest(cache_dir)
        self._arrays: Dict[int, np.ndarray] = {}

    def _array(self, epoch: int) -> np.ndarray:
        if epoch not in self._arrays:
            path = epoch_file(self.cache_dir, epoch)
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'teacher cache {self.cache_dir} has no epoch {epoch} '
                    f'(it holds {self.manifest["epochs"]}): build more '
                    'epochs with tools/cache_teacher.py --epochs')
            self._arrays[epoch] = np.load(path, mmap_mode='r')
        return self._arrays[epoch]

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
        return torch.from_numpy(
            np.array(self._array(epoch)[rows], dtype=np.float32)).to(device)

    def logits(self, epochs: Sequence[int], indices: Sequence[int],
               device: Optional[torch.device] = None) -> torch.Tensor:
        """Float32 logits, one row per (epoch, index) pair."""
        epochs, indices = np.asarray(epochs), np.asarray(indices)
        out = np.empty((len(indices), self.manifest['num_classes']),
                       dtype=np.float32)
        for epoch in np.unique(epochs):
            here = epochs == epoch
            out[here] = self._array(int(epoch))[indices[here]]
        return torch.from_numpy(out).to(device)
