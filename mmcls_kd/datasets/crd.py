"""CRD's training-set wrapper: sample indices and contrastive negatives."""
import copy
import os
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from mmcls_kd.registry import DATASETS

_MODES = ('exact', 'relax')


@DATASETS.register_module()
class CRDDataset:
    """Wraps a classification training set for "Contrastive Representation
    Distillation" (arXiv 1910.10699): each item's data sample gets

    - ``sample_idx`` (metainfo, int): the item's index in the data set, the
      row of the CRD memory bank it updates;
    - ``contrast_idx`` (LongTensor of ``num_negatives + 1``): the positive
      first, then ``num_negatives`` indices of images of other classes,
      drawn uniformly without replacement (with replacement when there are
      fewer such images, as the paper's code does).

    :class:`~mmcls_kd.models.losses.feature.CRDLoss` reads both from the
    student's data samples. Negatives are drawn from a class-sorted index, so
    memory stays at one integer per image (the paper's code keeps a list of
    all other-class indices per class, 10 GB for ImageNet).

    MMRazor's ``CRDDataset`` is not usable here: it builds its per-class
    tables with ``np.asarray`` on lists of unequal lengths, which NumPy >=
    1.24 refuses (every data set whose classes differ in size), and
    MMPretrain's ``PackInputs`` drops the negatives it adds to the data info
    (or, with ``algorithm_keys``, packs a NumPy array where MMRazor's
    ``CRDLoss`` asserts a tensor).

    Args:
        dataset (dict | BaseDataset): the wrapped data set (an MMPretrain
            data set: ``get_gt_labels`` gives the classes).
        num_negatives (int): negatives per item. Defaults to 16384 (the
            paper's). It must equal the loss's ``num_negatives``.
        mode (str): the positive: ``'exact'`` the item itself (the paper's
            default), ``'relax'`` a random image of the same class.
        indices (int | Sequence[int], optional): keep a subset of the
            wrapped data set, as ``BaseDataset``'s ``indices`` does; indices
            and negatives then refer to the subset. Defaults to None.
        lazy_init (bool): defer loading the annotations. Defaults to False.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 num_negatives: int = 16384,
                 mode: str = 'exact',
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 lazy_init: bool = False) -> None:
        if mode not in _MODES:
            raise ValueError(f'CRDDataset: mode must be one of {_MODES}, got '
                             f'{mode!r}')
        if num_negatives < 1:
            raise ValueError(f'CRDDataset: num_negatives must be positive, '
                             f'got {num_negatives}')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, 'get_gt_labels'):
            raise TypeError(f'CRDDataset wraps a classification data set '
                            f'with get_gt_labels, got {type(dataset)}')
        self.dataset = dataset
        self.num_negatives = int(num_negatives)
        self.mode = mode
        self.indices = indices
        self._metainfo = dataset.metainfo
        self._fully_initialized = False
        self._rng = None
        self._rng_pid = None
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        if self.indices is not None:
            self.dataset.get_subset_(self.indices)
        labels = np.asarray(self.dataset.get_gt_labels()).astype(np.int64)
        if labels.ndim != 1 or (labels < 0).any():
            raise ValueError('CRDDataset: the wrapped data set must have one '
                             'non-negative class index per image')
        self.labels = labels
        # Images sorted by class: class c occupies order[start[c]:end[c]].
        self.order = np.argsort(labels, kind='stable')
        counts = np.bincount(labels)
        self.class_end = np.cumsum(counts)
        self.class_start = self.class_end - counts
        if len(counts) > 0 and counts.max() == len(labels):
            raise ValueError('CRDDataset: all images are of one class, so '
                             'there are no negatives')
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        self.full_init()
        return self.dataset.get_data_info(idx)

    def _generator(self) -> np.random.Generator:
        # One generator per process, seeded from NumPy's global state, which
        # MMEngine seeds per data-loader worker; a generator inherited
        # through fork would repeat the parent's draws in every worker.
        if self._rng_pid != os.getpid():
            self._rng = np.random.default_rng(np.random.randint(2**31))
            self._rng_pid = os.getpid()
        return self._rng

    def contrast_indices(self, index: int) -> np.ndarray:
        """The positive, then ``num_negatives`` negatives, for ``index``."""
        self.full_init()
        rng = self._generator()
        label = self.labels[index]
        start, end = self.class_start[label], self.class_end[label]
        num_other = len(self.labels) - (end - start)
        # Positions in the class-sorted order with the own class cut out.
        position = rng.choice(
            num_other,
            self.num_negatives,
            replace=self.num_negatives > num_other)
        position = position + (position >= start) * (end - start)
        if self.mode == 'exact':
            positive = index
        else:
            positive = self.order[start + rng.integers(end - start)]
        return np.concatenate([[positive], self.order[position]])

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        data = self.dataset[idx]
        sample = data['data_samples']
        # The wrapped set may fetch another image when the pipeline fails;
        # its own sample_idx then names the image really returned.
        index = int(sample.metainfo.get('sample_idx', idx))
        sample.set_metainfo(dict(sample_idx=index))
        sample.set_field(
            torch.from_numpy(self.contrast_indices(index)), 'contrast_idx')
        return data
