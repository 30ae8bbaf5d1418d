"""The shipped loaders' defaults: persistent workers, and pinned memory
exactly when CUDA is present."""
import torch
from mmengine.registry import DefaultScope

from mmcls_kd.apis import load_config
from mmcls_kd.engine import KDRunner
from mmcls_kd.engine.runner import loader_defaults
from tests.conftest import KD_CONFIG


def _loader(**changes):
    cfg = load_config(KD_CONFIG)
    loader = cfg.train_dataloader.to_dict()
    loader.update(changes)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return KDRunner.build_dataloader(loader, seed=0)


def test_workers_persist_unless_the_config_says_otherwise():
    assert _loader(num_workers=2).persistent_workers is True
    assert _loader(num_workers=2,
                   persistent_workers=False).persistent_workers is False
    assert _loader(num_workers=0).persistent_workers is False


def test_memory_is_pinned_exactly_when_cuda_is_present():
    cuda = torch.cuda.is_available()
    assert _loader().pin_memory is cuda
    # Asked for on a machine without CUDA: not pinned (it would only warn).
    assert _loader(pin_memory=True).pin_memory is cuda
    assert _loader(pin_memory=False).pin_memory is False
    assert loader_defaults(dict(pin_memory=True)) == dict(pin_memory=cuda)
