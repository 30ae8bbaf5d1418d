"""Weights-only loading of foreign files, full loading of trusted ones."""
import os
import pickle

import pytest
import torch

from mmcls_kd.checkpoint.trust import (TRUST_ENV, UnsafeCheckpointError,
                                       is_trusted, load_checkpoint_file,
                                       trusted_checkpoint, trusted_directory)


class _RunsCode:
    """Unpickling this calls ``os.getpid`` (a stand-in for worse)."""

    def __reduce__(self):
        return (os.getpid, ())


def _mmengine_style(path):
    """Weights plus the bookkeeping MMEngine writes next to them."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    state = {'w': torch.arange(4.0)}
    torch.save({'meta': {'seed': np.int64(3)}, 'state_dict': state,
                'message_hub': {'loss': buf}}, path)
    return state


def test_torch_default_refuses_mmengine_checkpoints(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _mmengine_style(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_foreign_mmengine_checkpoint_gives_its_weights(tmp_path):
    path = tmp_path / 'ckpt.pth'
    state = _mmengine_style(path)
    loaded = load_checkpoint_file(str(path))
    assert torch.equal(loaded['state_dict']['w'], state['w'])
    # Bookkeeping is replaced, never built.
    from mmengine.logging import HistoryBuffer
    assert not isinstance(loaded['message_hub']['loss'], HistoryBuffer)


def test_code_in_a_foreign_file_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': _RunsCode()}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_file(str(path))
    assert 'posix.getpid' in str(err.value) and TRUST_ENV in str(err.value)


def test_trusted_file_is_fully_unpickled(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _mmengine_style(path)
    from mmengine.logging import HistoryBuffer
    with trusted_checkpoint(str(path)):
        loaded = load_checkpoint_file(str(path))
    assert isinstance(loaded['message_hub']['loss'], HistoryBuffer)
    # Trust ends with the context.
    loaded = load_checkpoint_file(str(path))
    assert not isinstance(loaded['message_hub']['loss'], HistoryBuffer)


def test_files_under_a_trusted_directory_are_fully_unpickled(tmp_path):
    run = tmp_path / 'work_dir'
    (run / 'sub').mkdir(parents=True)
    inside, beside = run / 'sub' / 'epoch_1.pth', tmp_path / 'epoch_1.pth'
    _mmengine_style(inside)
    _mmengine_style(beside)
    # A sibling whose name starts like the directory is not under it.
    sibling = tmp_path / 'work_dir2'
    from mmengine.logging import HistoryBuffer
    with trusted_directory(str(run)):
        assert is_trusted(str(inside))
        assert not is_trusted(str(beside))
        assert not is_trusted(str(sibling / 'epoch_1.pth'))
        loaded = load_checkpoint_file(str(inside))
        assert isinstance(loaded['message_hub']['loss'], HistoryBuffer)
    assert not is_trusted(str(inside))


def test_opt_in_environment_variable(tmp_path, monkeypatch):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _RunsCode()}, path)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert load_checkpoint_file(str(path))['x'] == os.getpid()


def test_missing_and_truncated_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))
    path = tmp_path / 'cut.pth'
    _mmengine_style(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match='cut.pth'):
        load_checkpoint_file(str(path))
