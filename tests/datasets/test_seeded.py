"""Augmentation as a function of (seed, epoch, sample): the same augmented
image whatever the number of workers or the batch size, and the training
random stream left alone."""
import numpy as np
import pytest
import torch

from mmcls_kd.apis import load_config
from mmcls_kd.engine import KDRunner
from tests.conftest import STUDENT_CONFIG


def _images(epoch, num_workers, batch_size, seeded=True, seed=7):
    """{sample_idx: image} of one epoch of the quick start's training
    loader (random crops with padding)."""
    cfg = load_config(STUDENT_CONFIG)
    loader_cfg = cfg.train_dataloader.to_dict()
    loader_cfg.update(num_workers=num_workers, batch_size=batch_size,
                      seeded_augment=seeded, persistent_workers=False)
    loader_cfg['dataset']['indices'] = 48
    loader = KDRunner.build_dataloader(loader_cfg, seed=seed)
    loader.sampler.set_epoch(epoch)
    found = {}
    for batch in loader:
        for image, sample in zip(batch['inputs'], batch['data_samples']):
            assert sample.epoch == epoch
            found[sample.sample_idx] = image.clone()
    return found


def test_workers_and_batch_size_do_not_change_the_augmented_images():
    reference = _images(epoch=1, num_workers=0, batch_size=16)
    assert sorted(reference) == list(range(48))
    for workers, batch in ((2, 16), (0, 5), (2, 7)):
        other = _images(epoch=1, num_workers=workers, batch_size=batch)
        for index, image in reference.items():
            assert torch.equal(other[index], image), (workers, batch, index)


def test_each_epoch_and_seed_draw_their_own_augmentation():
    epoch1 = _images(epoch=1, num_workers=0, batch_size=16)
    epoch2 = _images(epoch=2, num_workers=0, batch_size=16)
    other_seed = _images(epoch=1, num_workers=0, batch_size=16, seed=8)
    differ = [i for i in epoch1 if not torch.equal(epoch1[i], epoch2[i])]
    assert len(differ) > 24
    assert any(not torch.equal(epoch1[i], other_seed[i]) for i in epoch1)


def test_the_main_process_random_stream_is_left_alone():
    import random
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    python, numpy = random.getstate(), np.random.get_state()[1].copy()
    _images(epoch=0, num_workers=0, batch_size=16)
    after = torch.get_rng_state()
    # The only draw is PyTorch's own: each data loader iterator takes a
    # base seed from the global generator.
    torch.manual_seed(0)
    list(torch.utils.data.DataLoader([0, 1, 2]))
    assert torch.equal(after, torch.get_rng_state())
    assert np.array_equal(np.random.get_state()[1], numpy)
    assert random.getstate() == python


def test_a_sampler_other_than_the_default_is_refused():
    from mmcls_kd.datasets import seeded_loader
    with pytest.raises(ValueError, match='this loader uses '
                       'RepeatAugSampler'):
        seeded_loader(dict(dataset=dict(type='Digits'), seeded_augment=True,
                           sampler=dict(type='RepeatAugSampler')))


def test_sample_indices_are_global_across_a_concatenation():
    from mmcls_kd.datasets import SampleKey, SeededAugment
    from mmcls_kd.registry import DATASETS
    from mmengine.registry import DefaultScope
    part = dict(type='Digits', split='train', indices=4,
                pipeline=[dict(type='PackInputs')])
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        concat = DATASETS.build(
            dict(type='ConcatDataset', datasets=[part, part]))
    wrapped = SeededAugment(concat)
    found = [wrapped[SampleKey(i, 0, 0)]['data_samples'].sample_idx
             for i in range(len(wrapped))]
    # Each part alone numbers its samples 0..3.
    assert found == list(range(8))
