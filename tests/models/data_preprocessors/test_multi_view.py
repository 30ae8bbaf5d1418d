"""MultiViewDataPreprocessor: the views of MMPretrain's MultiView batches,
each normalised as ClsDataPreprocessor does, concatenated view after view
with the data samples repeated; one-view batches pass in evaluation and are
refused in training."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmcls_kd.models.data_preprocessors import (MultiViewDataPreprocessor,
                                                batch_norm_per_view,
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


def _net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5)).double()
    with torch.no_grad():
        for module in net:
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return net


def test_batch_norm_per_view_is_one_forward_per_view():
    """Three views of 4 images through one network under the context: the
    outputs, the gradients and the running statistics of three forwards of
    one view each (float64, within 1e-12); the two views as one batch give
    other outputs; afterwards the layers are as they were."""
    joint, apart = _net(), _net()
    generator = torch.Generator().manual_seed(1)
    views = [torch.randn(4, 3, 6, 6, generator=generator, dtype=torch.float64)
             * (1 + view) + view for view in range(3)]
    expected = torch.cat([joint(view) for view in views])
    expected.pow(2).sum().backward()
    with batch_norm_per_view(apart, 3):
        got = apart(torch.cat(views))
    got.pow(2).sum().backward()
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
    for (name, ours), theirs in zip(apart.named_parameters(),
                                    joint.parameters()):
        torch.testing.assert_close(ours.grad, theirs.grad, rtol=0,
                                   atol=1e-10, msg=name)
    for ours, theirs in zip(apart.buffers(), joint.buffers()):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
    assert int(apart[1].num_batches_tracked) == 3
    assert all('forward' not in vars(module) for module in apart.modules())
    assert not torch.allclose(_net()(torch.cat(views)), expected)


def test_batch_norm_per_view_leaves_eval_layers_and_refuses_a_bad_split():
    net = _net().eval()
    inputs = torch.randn(6, 3, 6, 6, dtype=torch.float64)
    with batch_norm_per_view(net, 2):
        torch.testing.assert_close(net(inputs), _net().eval()(inputs))
    net.train()
    with pytest.raises(ValueError, match='a batch of 5 does not split into '
                       '2 views'), batch_norm_per_view(net, 2):
        net(inputs[:5])
    assert all('forward' not in vars(module) for module in net.modules())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='num_views must be an integer >= 2, '
                       'got 1'):
        _preprocessor(num_views=1)
    with pytest.raises(ValueError, match="batch_norm must be 'per_view' or "
                       "'joint', got 'views'"):
        _preprocessor(batch_norm='views')
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
