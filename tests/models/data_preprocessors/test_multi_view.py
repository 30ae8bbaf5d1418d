"""MultiViewDataPreprocessor: the views of MMPretrain's MultiView batches,
each normalised as ClsDataPreprocessor does, concatenated view after view
with the data samples repeated; one-view batches pass in evaluation and are
refused in training."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmcls_kd.models.data_preprocessors import (MultiViewDataPreprocessor,
                                                loss_views)
from mmcls_kd.registry import MODELS

MEAN, STD = 10.0, 4.0


def _images(seed, num=3):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (1, 4, 4), generator=generator,
                          dtype=torch.uint8) for _ in range(num)]


def _samples(num=3):
    return [DataSample().set_gt_label(i) for i in range(num)]


def _preprocessor(**kwargs):
    return MultiViewDataPreprocessor(mean=[MEAN], std=[STD], **kwargs)


def test_views_are_normalised_and_concatenated_weak_first():
    weak, strong = _images(0), _images(1)
    samples = _samples()
    out = _preprocessor()(dict(inputs=[weak, strong], data_samples=samples),
                          training=True)
    expected = (torch.stack(weak + strong).float() - MEAN) / STD
    assert torch.equal(out['inputs'], expected)
    assert out['data_samples'] == samples + samples
    # default_collate's form: one (N, C, H, W) tensor per view.
    stacked = _preprocessor()(
        dict(inputs=[torch.stack(weak), torch.stack(strong)],
             data_samples=samples), training=True)
    assert torch.equal(stacked['inputs'], expected)


def test_one_view_passes_in_evaluation_and_is_refused_in_training():
    images, samples = _images(2), _samples()
    out = _preprocessor()(dict(inputs=images, data_samples=samples))
    assert torch.equal(out['inputs'], (torch.stack(images).float() - MEAN) /
                       STD)
    assert out['data_samples'] == samples
    with pytest.raises(ValueError, match='a training batch must hold 2 views '
                       r'of each image .*MultiView.*got one view'):
        _preprocessor()(dict(inputs=images, data_samples=samples), True)
    with pytest.raises(ValueError, match='num_views=2, got a batch of 3'):
        _preprocessor()(dict(inputs=[images] * 3, data_samples=samples),
                        True)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='num_views must be an integer >= 2, '
                       'got 1'):
        _preprocessor(num_views=1)
    with pytest.raises(ValueError, match='batch_augments'):
        _preprocessor(batch_augments=dict(
            augments=[dict(type='Mixup', alpha=1.0)]))


def test_registered_and_losses_reading_views_are_found():
    built = MODELS.build(dict(type='MultiViewDataPreprocessor', num_views=3))
    assert isinstance(built, MultiViewDataPreprocessor)
    assert built.num_views == 3
    assert loss_views(dict(loss_mlkd=dict(type='MLKDLoss'),
                           loss_kd=dict(type='KDLoss'))) == {
                               'loss_mlkd': ('MLKDLoss', 2)}
