"""Augmentation as a function of (seed, epoch, sample).

MMPretrain's transforms draw from the global ``random``, ``np.random`` and
torch generators of whichever process runs them: a worker seeded once per
worker, or the main process after everything else that drew from them. The
augmented image of a sample then depends on the number of workers, the batch
size and what ran before. Here the sampler hands each index to the data set
with its epoch and the run's seed, and the data set seeds the three
generators from (seed, epoch, index) for that sample alone (putting the
process's own states back after), so the image is the same in every run
that shares the seed, whatever the workers, batch size or resume point.
That is what a cache of the teacher's outputs needs, and it makes resume
exact with data loader workers too.
"""
import random
from contextlib import contextmanager
from typing import Iterator, NamedTuple, Union

import numpy as np
import torch
from mmengine.dataset import DefaultSampler

from mmcls_kd.registry import DATA_SAMPLERS, DATASETS


class SampleKey(NamedTuple):
    """What the sampler hands the data set: the index and what seeds it."""
    index: int
    epoch: int
    seed: int


def _seed_of(*numbers: int) -> int:
    """A 63-bit seed drawn from ``numbers`` (NumPy's SeedSequence)."""
    state = np.random.SeedSequence(list(numbers)).generate_state(
        2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of sample ``index``'s transforms in ``epoch``."""
    return _seed_of(seed, epoch, index)


def batch_seed(seed: int, epoch: int, iteration: int, rank: int) -> int:
    """The seed of a batch's augments (the trailing 1 keeps it apart from
    every sample seed)."""
    return _seed_of(seed, epoch, iteration, rank, 1)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with python's, NumPy's and torch's global generators
    seeded by ``seed``, and put the process's own states back after."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """MMEngine's ``DefaultSampler`` (same order, same sharding over ranks)
    that yields :class:`SampleKey`\\ s for :class:`SeededAugment`.

    ``set_epoch`` is called by MMEngine's ``DistSamplerSeedHook`` every
    epoch, and the epoch travels with each index, so persistent workers see
    it too.
    """

    def __iter__(self) -> Iterator[SampleKey]:
        for index in super().__iter__():
            yield SampleKey(int(index), int(self.epoch), int(self.seed))


@DATASETS.register_module()
class SeededAugment:
    """Wraps a data set so that each sample's random transforms draw from
    generators seeded by (seed, epoch, index); use it with
    :class:`SeededSampler` (``train_dataloader.seeded_augment=True`` sets
    both in a ``KDRunner`` run, through :func:`seeded_loader`).

    The sample's data sample gets ``sample_idx`` (its index in this data set,
    global across a ``ConcatDataset``) and ``epoch`` in its metainfo. A plain
    index (no key) is passed through unseeded.

    Args:
        dataset (dict | Dataset): the wrapped data set.
    """

    def __init__(self, dataset) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(
            dataset, dict) else dataset

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name: str):
        # get_gt_labels, get_data_info, ... of the wrapped data set.
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __getitem__(self, key: Union[int, SampleKey]) -> dict:
        if not isinstance(key, tuple):
            return self.dataset[key]
        key = SampleKey(*key)
        with seeded(sample_seed(key.seed, key.epoch, key.index)):
            data = self.dataset[key.index]
        samples = data.get('data_samples')
        if samples is not None and hasattr(samples, 'set_metainfo'):
            samples.set_metainfo(dict(sample_idx=key.index, epoch=key.epoch))
        return data


def seeded_loader(dataloader: dict) -> dict:
    """``dataloader`` (a config) with its data set wrapped by
    :class:`SeededAugment` and its ``DefaultSampler`` made a
    :class:`SeededSampler`; ``seeded_augment`` removed."""
    dataloader = dict(dataloader)
    if not dataloader.pop('seeded_augment', False):
        return dataloader
    sampler = dict(dataloader.get('sampler') or dict(type='DefaultSampler'))
    kind = sampler.get('type')
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', kind)
    if str(name).split('.')[-1] not in ('DefaultSampler', 'SeededSampler'):
        raise ValueError(
            f'seeded_augment needs the DefaultSampler (its order and '
            f'sharding, with the epoch and seed added); this loader uses '
            f'{name}')
    sampler['type'] = SeededSampler
    dataloader['sampler'] = sampler
    dataloader['dataset'] = dict(
        type=SeededAugment, dataset=dataloader['dataset'])
    return dataloader


class SeededBatchAugment:
    """A data preprocessor's batch augments (MMPretrain's Mixup/CutMix
    ``RandomBatchAugment``) drawing from generators seeded by (seed, epoch,
    iteration, rank) instead of the main process's global ones, which
    everything else in the run also draws from; the process's states are
    put back after. The epoch and iteration are the runner's, read from the
    message hub (MMEngine's ``RuntimeInfoHook`` keeps them there).

    Args:
        augments (callable): the wrapped batch augments.
        seed (int): the run's seed.
    """

    def __init__(self, augments, seed: int) -> None:
        self.augments = augments
        self.seed = seed

    def __call__(self, inputs: torch.Tensor, scores: torch.Tensor):
        from mmengine.dist import get_rank
        from mmengine.logging import MessageHub
        hub = MessageHub.get_current_instance()
        epoch, iteration = hub.get_info('epoch'), hub.get_info('iter')
        if epoch is None or iteration is None:
            raise RuntimeError(
                'seeded batch augments need the epoch and iteration of the '
                'run in the message hub (MMEngine\'s RuntimeInfoHook)')
        with seeded(batch_seed(self.seed, epoch, iteration, get_rank())):
            return self.augments(inputs, scores)


def seed_batch_augments(preprocessor, seed: int) -> bool:
    """Make ``preprocessor``'s batch augments seeded (once); whether it has
    any."""
    augments = getattr(preprocessor, 'batch_augments', None)
    if augments is None:
        return False
    if not isinstance(augments, SeededBatchAugment):
        preprocessor.batch_augments = SeededBatchAugment(augments, seed)
    return True
