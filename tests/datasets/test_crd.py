"""CRDDataset: sample indices and other-class negatives for CRD."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from mmcls_kd.datasets import CRDDataset, Digits
from mmcls_kd.registry import DATASETS

PIPELINE = [dict(type='PackInputs')]


def _labels(dataset):
    return np.asarray(dataset.dataset.get_gt_labels())


def test_exact_mode_positive_is_the_item_negatives_other_classes():
    np.random.seed(0)
    dataset = CRDDataset(
        dict(type='Digits', split='train', pipeline=PIPELINE),
        num_negatives=100, indices=200)
    labels = _labels(dataset)
    assert len(dataset) == 200
    for idx in (0, 57, 199):
        sample = dataset[idx]['data_samples']
        contrast = sample.contrast_idx
        assert sample.sample_idx == idx
        assert contrast.dtype == torch.int64 and contrast.shape == (101, )
        assert int(contrast[0]) == idx
        negatives = contrast[1:].numpy()
        assert (labels[negatives] != labels[idx]).all()
        # Fewer negatives than other-class images: no repeats.
        assert len(set(negatives.tolist())) == 100
        assert negatives.max() < 200


def test_negatives_cover_the_other_classes_uniformly():
    np.random.seed(1)
    dataset = CRDDataset(Digits('train', pipeline=PIPELINE),
                         num_negatives=50, indices=60)
    labels = _labels(dataset)
    draws = np.concatenate(
        [dataset.contrast_indices(3)[1:] for _ in range(400)])
    others = np.flatnonzero(labels != labels[3])
    counts = np.bincount(draws, minlength=60)[others]
    # 20,000 draws over the other-class images: each about equally often.
    expected = len(draws) / len(others)
    assert counts.min() > 0.7 * expected and counts.max() < 1.3 * expected
    assert counts.sum() == len(draws)


def test_relax_mode_and_repeats_when_negatives_are_few():
    np.random.seed(2)
    dataset = CRDDataset(Digits('train', pipeline=PIPELINE),
                         num_negatives=64, mode='relax', indices=20)
    labels = _labels(dataset)
    for idx in range(20):
        contrast = dataset.contrast_indices(idx)
        assert labels[contrast[0]] == labels[idx]
        assert (labels[contrast[1:]] != labels[idx]).all()
        # At most 19 other images for 64 negatives: drawn with replacement.
        assert len(contrast) == 65


def test_collated_batch_carries_the_indices():
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        dataset = DATASETS.build(
            dict(type='CRDDataset',
                 dataset=dict(type='Digits', split='train',
                              pipeline=PIPELINE),
                 num_negatives=8,
                 indices=[5, 9, 700]))
    batch = pseudo_collate([dataset[i] for i in range(3)])
    samples = batch['data_samples']
    assert [s.sample_idx for s in samples] == [0, 1, 2]
    assert torch.stack([s.contrast_idx for s in samples]).shape == (3, 9)
    assert dataset.metainfo['classes'] == Digits.METAINFO['classes']


def test_bad_arguments():
    train = Digits('train')
    with pytest.raises(ValueError, match='mode'):
        CRDDataset(train, mode='random')
    with pytest.raises(ValueError, match='num_negatives'):
        CRDDataset(train, num_negatives=0)
    one_class = np.flatnonzero(train.get_gt_labels() == 0)[:3].tolist()
    with pytest.raises(ValueError, match='one class'):
        CRDDataset(train, indices=one_class)
