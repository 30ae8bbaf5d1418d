"""The quick-start data set: scikit-learn's handwritten digits."""
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmcls_kd.registry import DATASETS


@DATASETS.register_module()
class Digits(BaseDataset):
    """1,797 greyscale 8x8 images of the digits 0-9 (the UCI optical
    recognition data that scikit-learn ships), so a run needs no download.

    The split is fixed: a permutation with seed 0, the first 1,437 images
    (80 %) for training and the other 360 for testing. Images are uint8
    arrays of shape (8, 8), pixel value ``16 * v`` for the original
    ``v`` in 0-16, clipped to 255.

    Args:
        split (str): ``'train'`` or ``'test'``.
        **kwargs: passed to MMPretrain's ``BaseDataset`` (``pipeline``, ...).
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}
    NUM_TRAIN = 1437

    def __init__(self, split: str = 'train', **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(
                f"Digits: split must be 'train' or 'test', got {split!r}")
        self.split = split
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        images, target = load_digit_arrays()
        order = np.random.RandomState(0).permutation(len(target))
        chosen = (order[:self.NUM_TRAIN]
                  if self.split == 'train' else order[self.NUM_TRAIN:])
        images = np.clip(images * 16, 0, 255).astype(np.uint8)
        return [dict(img=images[i], gt_label=int(target[i])) for i in chosen]


def load_digit_arrays(from_file: bool = False):
    """The (1797, 8, 8) images and the labels of scikit-learn's digits.

    Through ``load_digits``, or, when scikit-learn does not import (it is
    installed without SciPy on a GPU machine set up by the device check) or
    ``from_file``, from the data file scikit-learn ships, read as its
    ``load_digits`` reads it.
    """
    if not from_file:
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            pass
        else:
            digits = load_digits()
            return digits.images, digits.target
    import importlib.util
    import os.path as osp
    spec = importlib.util.find_spec('sklearn')
    if spec is None or spec.origin is None:
        raise ImportError('Digits needs scikit-learn, which ships the data: '
                          'pip install scikit-learn')
    data = np.loadtxt(
        osp.join(osp.dirname(spec.origin), 'datasets', 'data',
                 'digits.csv.gz'),
        delimiter=',')
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int)
