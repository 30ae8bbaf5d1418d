"""MMEngine's checkpoint loader goes through the package's trust rule."""
import os

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from mmcls_kd.checkpoint import UnsafeCheckpointError


class _RunsCode:
    """Unpickling this calls ``os.getpid`` (a stand-in for worse)."""

    def __reduce__(self):
        return (os.getpid, ())


def test_mmengine_loader_goes_through_the_rule(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _RunsCode()}, path)
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(path), 'cpu')
