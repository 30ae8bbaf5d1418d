"""The state dict inside checkpoints of every layout the package reads, and
checkpoints written so that a weights-only ``torch.load`` reads them."""
import hashlib

import numpy as np
import pytest
import torch

from mmcls_kd.checkpoint.io import (is_plain, read_state_dict, save_checkpoint,
                                    state_dict_of)

WEIGHTS = {'conv.weight': torch.arange(4.0), 'fc.bias': torch.ones(2)}


@pytest.mark.parametrize('checkpoint', [
    dict(state_dict=WEIGHTS, meta=dict(epoch=3)),
    dict(model=WEIGHTS, epoch=240, best_acc=torch.tensor(79.4)),
    dict(net=WEIGHTS, acc=70.1),
    WEIGHTS,
])
def test_state_dict_of_every_layout(checkpoint):
    state = state_dict_of(checkpoint)
    assert list(state) == list(WEIGHTS)
    assert all(torch.equal(state[k], v) for k, v in WEIGHTS.items())


def test_the_dataparallel_prefix_goes_only_from_every_key():
    wrapped = {f'module.{k}': v for k, v in WEIGHTS.items()}
    assert list(state_dict_of({'state_dict': wrapped})) == list(WEIGHTS)
    partly = dict(WEIGHTS, **{'module.extra': torch.zeros(1)})
    assert list(state_dict_of(partly)) == list(partly)


@pytest.mark.parametrize('checkpoint,found', [
    (dict(epoch=240, best_acc=79.4), "keys ['epoch', 'best_acc']"),
    (dict(state_dict={}), "keys ['state_dict']"),
    (dict(model=dict(w=[1.0])), "keys ['model']"),
    (dict((f'k{i}', i) for i in range(10)), "'k7'] and 2 more"),
    ([torch.zeros(1)], 'a list'),
])
def test_no_state_dict(checkpoint, found):
    with pytest.raises(ValueError, match='no state dict') as err:
        state_dict_of(checkpoint, source='stats.pth')
    message = str(err.value)
    assert message.startswith('stats.pth holds no state dict of tensors')
    assert message.endswith(found)


def test_read_state_dict_gives_the_meta_of_mmengine_checkpoints(tmp_path):
    path = str(tmp_path / 'epoch_3.pth')
    torch.save({'state_dict': WEIGHTS, 'meta': {'epoch': 3}}, path)
    state, meta = read_state_dict(path)
    assert list(state) == list(WEIGHTS) and meta == {'epoch': 3}
    torch.save({'model': WEIGHTS, 'meta': 'not a dict'}, path)
    assert read_state_dict(path)[1] == {}


def test_saved_checkpoints_load_weights_only(tmp_path):
    meta = dict(
        epoch=3,
        classes=('a', 'b'),
        sizes=[torch.Size([2, 3])],
        optimizer=dict(state={0: dict(lr=0.1)}),
        note=None)
    checkpoint = dict(state_dict=WEIGHTS, meta=meta)
    path = tmp_path / 'new' / 'folder' / 'student.pth'
    save_checkpoint(checkpoint, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta'] == checkpoint['meta']
    assert torch.equal(loaded['state_dict']['conv.weight'], torch.arange(4.0))
    assert [p.name for p in path.parent.iterdir()] == ['student.pth']


def test_saved_bytes_do_not_depend_on_the_file_name(tmp_path):
    hashes = set()
    for name in ('a.pth', 'b.pth'):
        save_checkpoint({'state_dict': WEIGHTS}, str(tmp_path / name))
        hashes.add(hashlib.sha256((tmp_path / name).read_bytes()).digest())
    assert len(hashes) == 1


@pytest.mark.parametrize('meta,where', [
    (dict(seed=np.int64(3)), "checkpoint['meta']['seed'] (numpy.int64)"),
    (dict(cfg=[1, dict(state=np.zeros(1))]),
     "checkpoint['meta']['cfg'][1]['state'] (numpy.ndarray)"),
    (dict([((1, 2), 'tuple key')]), "checkpoint['meta'] key (1, 2) (tuple)"),
])
def test_what_would_not_load_weights_only_is_refused(meta, where, tmp_path):
    path = tmp_path / 'out.pth'
    with pytest.raises(TypeError) as err:
        save_checkpoint({'state_dict': WEIGHTS, 'meta': meta}, str(path))
    assert str(err.value).startswith(where)
    assert not list(tmp_path.iterdir())
    assert not is_plain(meta)
    assert is_plain({'meta': {'epoch': 3}, 'w': torch.zeros(1)})
